"""Locks: the run lock (a session-level advisory lock on a dedicated connection), the
maintenance flag (a second advisory key) the web app asks about on every request, and the
holder of the lock."""

import contextlib
import json
import os
import re
import socket
import tempfile
import time
import zlib

import psycopg

from ...errors import Refused
from ...journal import now_iso
from ...lock import Holder, read_holder
from ..base import pid_alive
from .connections import ADMIN_DATABASES, admin_params

RUN_NAMESPACE = 0x4F524201  # "ORB" 1: one safe_migrate run at a time
MAINTENANCE_NAMESPACE = 0x4F524202  # "ORB" 2: held while the web app must answer 503
APP_NAME_RE = re.compile(r"safe_migrate (?P<mode>\S+) pid=(?P<pid>\d+) host=(?P<host>\S*)")


def lock_key(dbname):
    """The second half of the advisory keys of ``dbname`` (a positive int4)."""
    return zlib.crc32(str(dbname).encode()) & 0x7FFFFFFF


def held_sql(namespace, dbname):
    return (
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
        f"AND classid = {int(namespace)}::oid AND objid = {lock_key(dbname)}::oid AND objsubid = 2)"
    )


def advisory_lock_held(connection):
    """True while a safe_migrate run holds the maintenance flag of ``connection``'s database.

    One query on ``pg_locks`` (the web app asks it per request).  While a restore swaps the
    database, connecting to it can fail; the question is then asked through the maintenance
    database, and when the server cannot answer at all the request proceeds (and fails as
    it would without maintenance).
    """
    dbname = connection.settings_dict["NAME"]
    query = held_sql(MAINTENANCE_NAMESPACE, dbname)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            return bool(cursor.fetchone()[0])
    except Exception:
        connection.close()
    try:
        with psycopg.connect(**admin_params(connection.settings_dict, ADMIN_DATABASES[0])) as conn:
            return bool(conn.execute(query).fetchone()[0])
    except Exception:
        return False


class PgRunLock:
    """The run lock: a session-level advisory lock on a dedicated connection."""

    def __init__(self, backend):
        self.backend = backend
        self.conn = None
        self.maintenance = False
        self.info = None

    def acquire(self, *, mode, maintenance, run_id):
        backend = self.backend
        key = lock_key(backend.dbname)
        stale = read_holder(backend.lock_path)
        app_name = f"safe_migrate {mode} pid={os.getpid()} host={socket.gethostname()}"[:63]
        conn = backend.admin_connect(application_name=app_name)
        # A run killed a moment ago may still hold the lock until the server notices its
        # socket closed: when the state file names a dead process on this host, wait a little.
        waits = 10 if stale and stale.host == socket.gethostname() and not pid_alive(stale.pid) else 0
        for attempt in range(waits + 1):
            if conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (RUN_NAMESPACE, key)).fetchone()[0]:
                break
            if attempt < waits:
                time.sleep(0.3)
        else:
            holder = backend.lock_holder()
            conn.close()
            who = holder.describe() if holder else "another session"
            raise Refused(
                f"Another safe_migrate run holds the lock on {backend.label} ({who}); wait for it to "
                f"finish and run again (advisory lock {RUN_NAMESPACE},{key}; see {backend.lock_path})."
            )
        self.conn = conn
        if maintenance:
            self._set(True)
        self.info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": now_iso(),
            "mode": mode,
            "maintenance": maintenance,
            "run_id": run_id,
            "database": backend.label,
            "server_pid": conn.info.backend_pid,
        }
        self._write()
        if stale is not None and stale.pid == os.getpid():
            stale = None
        return stale

    def _set(self, on):
        key = lock_key(self.backend.dbname)
        if on and not self.maintenance:
            self.conn.execute("SELECT pg_advisory_lock(%s, %s)", (MAINTENANCE_NAMESPACE, key))
        elif not on and self.maintenance:
            self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", (MAINTENANCE_NAMESPACE, key))
        self.maintenance = on

    def _write(self):
        """Write the informational lock file: created 0600 under an unpredictable temporary
        name (``mkstemp``, which opens with ``O_EXCL``, so a planted link is never followed),
        then renamed over the lock file (a link there is replaced, not written through)."""
        path = self.backend.lock_path
        directory = os.path.dirname(path) or "."
        tmp = None
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
            with os.fdopen(fd, "w") as handle:
                json.dump(self.info, handle)
            os.replace(tmp, path)
            tmp = None
        except OSError:
            pass  # informational only: the advisory lock is the lock
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def release(self):
        if self.conn is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.backend.lock_path)
        try:
            self.conn.execute("SELECT pg_advisory_unlock_all()")
        except psycopg.Error:
            pass
        finally:
            self.conn.close()
            self.conn = None
            self.maintenance = False


class LocksMixin:
    """The lock of a backend with ``dbname``, ``lock_path``, ``connection`` and ``admin``."""

    def run_lock(self):
        return PgRunLock(self)

    def lock_holder(self):
        """The live run holding the advisory lock of this database, or None."""
        key = lock_key(self.dbname)
        with self.admin() as conn:
            row = conn.execute(
                "SELECT a.pid, a.application_name, a.backend_start, host(a.client_addr) FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                f"AND l.classid = {RUN_NAMESPACE}::oid AND l.objid = {key}::oid AND l.objsubid = 2"
            ).fetchone()
            if row is None:
                return None
            maintenance = conn.execute(held_sql(MAINTENANCE_NAMESPACE, self.dbname)).fetchone()[0]
        server_pid, app_name, started, client = row
        found = APP_NAME_RE.match(app_name or "")
        noted = read_holder(self.lock_path)
        holder = Holder(
            pid=int(found.group("pid")) if found else 0,
            host=(found.group("host") if found else None) or client or "?",
            started_at=started.isoformat(timespec="seconds") if started else "?",
            mode=found.group("mode") if found else "?",
            maintenance=bool(maintenance),
        )
        if noted and noted.pid == holder.pid and noted.host == holder.host:
            holder.run_id = noted.run_id
            holder.started_at = noted.started_at
        if not found:
            holder.host = f"{client or 'local'} (server pid {server_pid})"
        return holder

    def maintenance_active(self):
        return advisory_lock_held(self.connection)
