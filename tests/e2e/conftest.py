"""End-to-end fixtures: a seeded SQLite file per test and a way to run manage.py on it."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import dbfacts

ROOT = Path(__file__).resolve().parents[2]


class Project:
    """A database file in a temporary directory plus ``run()`` for manage.py subprocesses."""

    def __init__(self, directory, *, scenario="base"):
        self.dir = Path(directory)
        self.db = str(self.dir / "orb.db")
        self.scenario = scenario
        self.env_extra = {}

    def env(self, **extra):
        env = dict(os.environ)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
                "DATABASE_URL": f"sqlite:///{self.db}",
                "ORB_SCENARIO": self.scenario,
                "PYTHONPATH": str(ROOT),
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        env.pop("ORB_BACKUP_DIR", None)
        env.update(self.env_extra)
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def command(self, *args):
        return [sys.executable, str(ROOT / "manage.py"), *args]

    def run(self, *args, scenario=None, input=None, timeout=300, **env):
        if scenario:
            self.scenario = scenario
        return subprocess.run(
            self.command(*args),
            cwd=ROOT,
            env=self.env(**env),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen(self, *args, **env):
        """Start manage.py in its own session; SIGINT gets its default action in the child
        (see ``default_sigint``), so a test's Ctrl-C interrupts it whoever started pytest."""
        return subprocess.Popen(
            self.command(*args),
            cwd=ROOT,
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=default_sigint,
        )

    # facts
    def hashes(self):
        return dbfacts.content_hashes(self.db)

    def applied(self):
        return dbfacts.applied(self.db)

    def journal(self):
        return dbfacts.journal(self.db)

    def backups(self):
        return sorted(str(p) for p in self.dir.glob("orb.db.backup-*") if not str(p).endswith(".json"))


def default_sigint():
    """``preexec_fn`` for every child a test signals: SIGINT back to its default action.

    A shell starts a background job with SIGINT ignored, and an ignored signal stays ignored
    across fork and exec (Python then installs no KeyboardInterrupt handler), so without this
    a test's SIGINT would be lost when the suite runs from a background job or a CI runner."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Gate:
    """A gate file pair for the scenario step ``steps.gate``: the migration writes ``reached``
    and waits until the test creates ``release``.  Pass ``gate.env()`` to the run."""

    def __init__(self, directory, *, on="real"):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.on = on

    def env(self):
        return {"ORB_TEST_GATE_DIR": str(self.dir), "ORB_TEST_GATE_ON": self.on}

    @property
    def is_reached(self):
        return (self.dir / "reached").exists()

    def wait_reached(self, process, timeout=120):
        """Wait (bounded) until the migration is at the gate; fail at once if the run ended first."""
        deadline = time.monotonic() + timeout
        while not self.is_reached:
            if process.poll() is not None:
                out, err = process.communicate()
                raise AssertionError(
                    f"the run ended (exit {process.returncode}) before reaching the gate "
                    f"{self.dir}\nstdout:\n{out}\nstderr:\n{err}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"the run never reached the gate {self.dir} within {timeout}s")
            time.sleep(0.02)

    def release(self):
        (self.dir / "release").touch()


def finish(process, timeout=120):
    """Wait for a started run; kill its process group if it hangs (so a failing test never leaks it)."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        raise AssertionError(f"the run did not finish within {timeout}s\nstdout:\n{out}\nstderr:\n{err}") from exc


def assert_clean(result, code):
    """Exit status as expected, no traceback, and a last line saying the database's state."""
    assert result.returncode == code, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    last = (result.stderr if code else result.stdout).strip().splitlines()[-1]
    assert last.startswith(("Database", "Backups")), last
    return last


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """A database migrated (scenario base) and seeded once per session."""
    project = Project(tmp_path_factory.mktemp("template"))
    result = project.run("safe_migrate", "--noinput")
    assert_clean(result, 0)
    seeded = project.run("seed_scenario")
    assert seeded.returncode == 0, seeded.stderr
    return project


@pytest.fixture
def project(tmp_path, seeded_template):
    """A fresh copy of the seeded database in its own directory (no journal, no backups)."""
    shutil.copyfile(seeded_template.db, tmp_path / "orb.db")
    assert not os.path.exists(seeded_template.db + "-wal") or os.path.getsize(seeded_template.db + "-wal") == 0
    return Project(tmp_path)


@pytest.fixture
def empty_project(tmp_path):
    return Project(tmp_path)


# The PostgreSQL fixtures (pg, pg_template) for every e2e test; imported last because pg.py builds
# on Project and assert_clean above.
from .pg import pg, pg_template  # noqa: E402, F401
