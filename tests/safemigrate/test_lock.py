import os
import signal

import pytest

from orb.safemigrate.errors import Refused
from orb.safemigrate.lock import FileLock, live_holder


def test_second_holder_is_refused_naming_the_first(tmp_path):
    path = str(tmp_path / "db.safe_migrate.lock")
    first = FileLock(path)
    assert first.acquire(mode="upgrade", maintenance=True, run_id="r1") is None
    try:
        with pytest.raises(Refused, match=f"pid {os.getpid()}"):
            FileLock(path).acquire(mode="upgrade", maintenance=True, run_id="r2")
        holder = live_holder(path)
        assert holder.run_id == "r1" and holder.maintenance
    finally:
        first.release()
    assert not os.path.exists(path)
    assert live_holder(path) is None


def test_lock_of_a_killed_process_is_stale_and_taken_over(tmp_path):
    path = str(tmp_path / "db.safe_migrate.lock")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child takes the lock and waits to be killed
        FileLock(path).acquire(mode="upgrade", maintenance=True, run_id="dead-run")
        os.write(write_end, b"x")
        signal.pause()
        os._exit(0)
    os.read(read_end, 1)
    assert live_holder(path).pid == pid
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert live_holder(path) is None  # the middleware ignores it now
    lock = FileLock(path)
    stale = lock.acquire(mode="upgrade", maintenance=False, run_id="next")
    try:
        assert stale.pid == pid and stale.run_id == "dead-run"
        assert live_holder(path).run_id == "next"
    finally:
        lock.release()


@pytest.mark.parametrize("maintenance", [False, True])
def test_the_lock_says_whether_maintenance_is_on(tmp_path, maintenance):
    path = str(tmp_path / "db.safe_migrate.lock")
    lock = FileLock(path)
    lock.acquire(mode="dry-run", maintenance=maintenance, run_id="r")
    try:
        assert live_holder(path).maintenance is maintenance
    finally:
        lock.release()


def test_a_reader_checking_the_flag_does_not_look_like_another_run(tmp_path):
    """The middleware holds a shared flock for an instant; acquire waits for it briefly."""
    import fcntl
    import threading

    path = str(tmp_path / "db.safe_migrate.lock")
    with open(path, "w") as handle:
        handle.write('{"pid": 999999, "host": "h", "started_at": "t", "mode": "upgrade", "maintenance": true}')
    reader = os.open(path, os.O_RDONLY)
    fcntl.flock(reader, fcntl.LOCK_SH)
    threading.Timer(0.3, lambda: (fcntl.flock(reader, fcntl.LOCK_UN), os.close(reader))).start()
    lock = FileLock(path)
    stale = lock.acquire(mode="upgrade", maintenance=True, run_id="r")
    try:
        assert stale.pid == 999999
    finally:
        lock.release()


def test_lock_file_is_private_and_a_symlink_is_refused(tmp_path):
    import stat

    path = str(tmp_path / "state" / "db.safe_migrate.lock")
    lock = FileLock(path)
    lock.acquire(mode="upgrade", maintenance=True, run_id="r")
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(tmp_path / "state").st_mode) == 0o700
    finally:
        lock.release()
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    os.symlink(victim, path)
    with pytest.raises(Refused, match="symbolic link"):
        FileLock(path).acquire(mode="upgrade", maintenance=True, run_id="r2")
    assert victim.read_text() == "keep me"
    assert live_holder(path) is None


def test_a_state_folder_others_can_write_to_is_refused(tmp_path):
    from types import SimpleNamespace

    from orb.safemigrate.backends.sqlite import SQLiteBackend

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    backend = SQLiteBackend(
        SimpleNamespace(alias="default", vendor="sqlite", settings_dict={"NAME": str(shared / "orb.db")}),
        backup_dir=str(tmp_path / "backups"),
    )
    with pytest.raises(Refused, match="writable by others"):
        backend.check_writable()
    assert os.listdir(shared) == []
