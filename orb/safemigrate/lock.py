"""One run at a time, and the maintenance flag the web app reads.

The lock is a file in the state directory holding the holder's pid, host, start time,
mode and whether maintenance is on.  The holder keeps an exclusive ``flock`` on it for
the whole run, so the kernel frees the lock the moment the holder dies, even by SIGKILL:
a lock file whose ``flock`` can be taken is stale (its process is gone) and is taken
over, never obeyed.  This is sturdier than judging staleness by pid alone (pids are reused).

The lock file is private (0600, its folder created 0700) and never opened through a
symbolic link (the backend's ``check_writable`` refuses a state folder others can write to).
"""

import contextlib
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass

from .errors import Refused
from .files import is_symlink_error, makedirs_private, open_private
from .journal import now_iso


@dataclass
class Holder:
    pid: int
    host: str
    started_at: str
    mode: str
    maintenance: bool
    run_id: str | None = None

    def describe(self):
        return f"pid {self.pid} on {self.host}, started {self.started_at} ({self.mode})"


def read_holder(path):
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW)) as handle:
            data = json.load(handle)
        return Holder(
            pid=int(data.get("pid", 0)),
            host=str(data.get("host", "?")),
            started_at=str(data.get("started_at", "?")),
            mode=str(data.get("mode", "?")),
            maintenance=bool(data.get("maintenance", False)),
            run_id=data.get("run_id"),
        )
    except (OSError, ValueError, TypeError):
        return None


def live_holder(path):
    """The holder of a live lock at ``path``, or None when free or stale."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return read_holder(path) or Holder(0, "?", "?", "?", True)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _flock_exclusive(fd, *, patience=2.0):
    """Take the exclusive flock, waiting briefly: the web app's maintenance check holds a shared
    flock for an instant on every request, which must not look like another run."""
    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


class FileLock:
    """Exclusive run lock.  ``acquire`` returns the stale holder it took over, if any."""

    def __init__(self, path):
        self.path = str(path)
        self.fd = None

    def acquire(self, *, mode, maintenance, run_id):
        makedirs_private(os.path.dirname(self.path) or ".")
        for _ in range(20):
            try:
                fd = open_private(self.path, os.O_RDWR | os.O_CREAT)
            except PermissionError as exc:
                raise Refused(
                    f"Cannot create the lock file {self.path} ({exc.strerror}); make its "
                    "directory writable for this user and run again."
                ) from exc
            except OSError as exc:
                if not is_symlink_error(exc):
                    raise
                raise Refused(
                    f"The lock file {self.path} is a symbolic link, which safe_migrate never follows; "
                    "remove the link and run again."
                ) from exc
            if not _flock_exclusive(fd):
                os.close(fd)
                holder = read_holder(self.path)
                who = holder.describe() if holder else "another process"
                raise Refused(
                    f"Another safe_migrate run holds the lock ({who}); wait for it to finish "
                    f"and run again (lock file {self.path})."
                )
            # The file may have been unlinked by a holder that just finished: check the
            # path still names the file we locked, else start over.
            try:
                same = os.fstat(fd).st_ino == os.lstat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            stale = None
            if os.fstat(fd).st_size:
                stale = read_holder(self.path)
            self.fd = fd
            self._write(mode=mode, maintenance=maintenance, run_id=run_id)
            return stale
        raise Refused(f"Could not take the lock {self.path}; run again.")

    def _write(self, *, mode, maintenance, run_id):
        payload = json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": now_iso(),
                "mode": mode,
                "maintenance": maintenance,
                "run_id": run_id,
            }
        ).encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, payload, 0)
        os.fsync(self.fd)

    def release(self):
        if self.fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None
