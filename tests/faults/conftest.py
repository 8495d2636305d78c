"""Fault-injection fixtures: big databases built once per session, mounts (root only).

Sizes are set by environment variables; see ``helpers.py``.
"""

import subprocess
import time

import pytest

from tests.e2e.conftest import empty_project, project, seeded_template  # noqa: F401 (fixtures reused as they are)

from .helpers import build_big_template, env_int


@pytest.fixture(scope="session")
def kill_template(tmp_path_factory):
    megabytes = env_int("ORB_FAULTS_KILL_MB", 200)
    return build_big_template(tmp_path_factory.mktemp("kill-template"), megabytes)


@pytest.fixture(scope="session")
def writer_template(tmp_path_factory):
    megabytes = env_int("ORB_FAULTS_WRITER_MB", 40)
    return build_big_template(tmp_path_factory.mktemp("writer-template"), megabytes)


# --- mounts (root only) --------------------------------------------------------------------
def _mount(*args):
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"mount {' '.join(args)} failed: {result.stderr.strip()} (these tests need root)")


def umount(path):
    for _ in range(50):
        result = subprocess.run(["umount", str(path)], capture_output=True, text=True)
        if result.returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture
def mount_points(tmp_path):
    """``mount_points(name, *mount_args)`` mounts ``mount_args`` at a new ``tmp_path/name`` and
    returns it; everything mounted is unmounted after the test, newest first."""
    mounted = []

    def make(name, *mount_args):
        path = tmp_path / name
        path.mkdir()
        _mount(*mount_args, str(path))
        mounted.append(path)
        return path

    yield make
    for path in reversed(mounted):
        umount(path)


@pytest.fixture
def small_disk(mount_points):
    """``small_disk(megabytes)`` mounts a size-limited tmpfs and returns its path; unmounted after."""

    def make(megabytes, name="disk"):
        # mode=0700: a tmpfs root is 1777 by default, a folder safe_migrate refuses (others can write).
        return mount_points(name, "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0700", "tmpfs")

    return make


@pytest.fixture
def read_only_view(mount_points):
    """``read_only_view(source)`` bind-mounts ``source`` read-only at a new path and returns it."""

    def make(source, name):
        path = mount_points(name, "--bind", str(source))
        _mount("-o", "remount,bind,ro", str(path))
        return path

    return make
