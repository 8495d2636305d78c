"""Scratch databases: names budgeted in bytes, the mark every one carries, creating (empty, or
as a file copy of the live database), dropping, swapping a restored database in, and cleaning up
what killed runs left."""

import hashlib
import json
import os
import socket
import time

import psycopg
from psycopg import sql

from ...errors import MigrationFailed, Refused
from ...journal import now_iso
from ..base import pid_alive
from .connections import (
    APP_NAME,
    NAME_BYTES,
    clip_bytes,
    database_row,
    first_line,
    ident,
    server_name,
    sessions_on,
    set_allow_connections,
)

DISCONNECT_WAIT_S = 10
SETTLE_WAIT_S = 2  # for the server processes of sessions this run has just closed to exit
SCRATCH_KINDS = {
    "rehearsal": "a rehearsal database",
    "restore": "a half-restored database",
    "old": "a database replaced by a restore",
    "read": "a backup restored to be read",
}
SCRATCH_MARK = "orb safe_migrate scratch: "  # + JSON; the COMMENT ON DATABASE of every scratch database


class ScratchDatabasesMixin:
    """Scratch databases of a backend with ``dbname``, ``label`` and ``admin``."""

    def name_problem(self):
        """A sentence saying why this database name cannot be worked on safely, or None."""
        size = len(self.dbname.encode())
        if not self.dbname:
            return "No PostgreSQL database name is set; put one in DATABASE_URL and run again."
        if "/" in self.dbname or "\x00" in self.dbname:
            return (
                f"The database name {self.dbname!r} holds a '/' or a NUL character, which cannot be part of "
                "the backup and journal file names; rename the database and set DATABASE_URL to it."
            )
        if size > NAME_BYTES:
            return (
                f"The database name {self.dbname!r} is {size} bytes long in UTF-8, but PostgreSQL keeps only "
                f"the first {NAME_BYTES} bytes of a name, so a run could act on another database; rename it "
                f"to at most {NAME_BYTES} bytes (ALTER DATABASE ... RENAME TO ...) and set DATABASE_URL to "
                "the new name."
            )
        return None

    def check_name(self):
        problem = self.name_problem()
        if problem:
            raise Refused(problem)

    def scratch_name(self, kind, pid=None):
        """``<dbname>_orb_<kind>_<pid>``, or ``<dbname cut>_<hash>_orb_<kind>_<pid>`` when that is
        over 63 bytes: never longer than the server keeps, never the live database's name."""
        self.check_name()
        suffix = f"_orb_{kind}_{os.getpid() if pid is None else pid}"
        name = self.dbname + suffix
        if len(name.encode()) > NAME_BYTES:
            tail = f"_{self._name_digest()}{suffix}"
            name = clip_bytes(self.dbname, NAME_BYTES - len(tail.encode())) + tail
        self._assert_not_live(name, action="use as a scratch database")
        return name

    def _name_digest(self):
        """8 hex digits naming the live database in a scratch name that had to be cut."""
        return hashlib.sha256(self.dbname.encode()).hexdigest()[:8]

    def _assert_not_live(self, name, *, action):
        if server_name(name) == server_name(self.dbname):
            raise Refused(
                f"safe_migrate refused to {action} the database {name}, because that is the live "
                f"database {self.label}; nothing was changed. Report this as a bug and rename the database."
            )

    def _mark(self, kind):
        return SCRATCH_MARK + json.dumps(
            {
                "database": self.dbname,
                "kind": kind,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "created_at": now_iso(),
            },
            sort_keys=True,
        )

    def _scratch_mark(self, conn, name):
        """(oid, mark) of database ``name``: mark is the parsed scratch mark of this live database,
        or None when the database is not marked as one of ours; None when there is no such database."""
        row = database_row(conn, name, "oid", "comment")
        if row is None:
            return None
        return row[0], self._parse_mark(row[1])

    def _parse_mark(self, comment):
        if not comment or not comment.startswith(SCRATCH_MARK):
            return None
        try:
            mark = json.loads(comment[len(SCRATCH_MARK) :])
        except ValueError:
            return None
        if not isinstance(mark, dict) or mark.get("database") != self.dbname or mark.get("kind") not in SCRATCH_KINDS:
            return None
        return mark

    def _live_oid(self, conn):
        row = database_row(conn, self.dbname, "oid")
        return row[0] if row else None

    def _create_scratch(self, conn, name, *, kind):
        """Create the empty scratch database ``name`` and mark it as this run's own."""
        self._make_room(conn, name)
        row = database_row(conn, self.dbname, "locale")
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(ident(name))
        if row:
            statement = sql.SQL("{} ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(
                statement, sql.Literal(row[0]), sql.Literal(row[1]), sql.Literal(row[2])
            )
        conn.execute(statement)
        self._mark_created(conn, name, kind=kind)

    def _make_room(self, conn, name):
        """Before creating ``name``: a database already there is dropped only when a safe_migrate
        run made it (marked, or an unfinished copy: a leftover whose pid came round again);
        otherwise the run is refused."""
        self._assert_not_live(name, action="create")
        found = database_row(conn, name, "comment", "allows_connections")
        if found is None:
            return
        if self._unfinished_copy(name, comment=found[0], allows_connections=found[1]) is not None:
            self._drop_unfinished_copy(conn, name)
        elif self._parse_mark(found[0]) is None:
            raise Refused(
                f"A database named {name} already exists and is not marked as a safe_migrate scratch "
                "database, so it was left alone; rename or drop it if it is not needed, and run again."
            )
        else:
            self._drop(conn, name)

    def _mark_created(self, conn, name, *, kind):
        try:
            conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident(name), sql.Literal(self._mark(kind))))
        except BaseException:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident(name)))
            raise

    def _clone_live(self, conn, name, *, kind, closed=frozenset()):
        """Create the scratch database ``name`` as a file copy of the live database
        (``CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY``) and mark it; None when made, else
        why it was not (the caller then copies another way; nothing was created).

        The server copies only a database no other session is connected to (this run's own
        Django connection must be closed first) and holds new connections to it until the copy
        is done.  The copy is created closed to connections and opened once it carries its mark,
        so a run killed in between leaves what ``cleanup_leftovers`` knows as an unfinished copy.
        ``closed``: server pids of this run's own sessions it has just closed."""
        self._make_room(conn, name)
        others = self._other_clients(conn, closed=closed)
        if others:
            return f"{len(others)} other session(s) are connected to it (a file copy needs none)"
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY ALLOW_CONNECTIONS false").format(
            ident(name), ident(self.dbname)
        )
        try:
            conn.execute(statement)
        except psycopg.errors.ObjectInUse:
            return "a session connected to it as the file copy began"
        except psycopg.errors.InsufficientPrivilege:
            return "only the database's owner or a superuser may copy it as a template"
        except psycopg.Error as exc:
            raise MigrationFailed(
                f"Copying {self.label} into the scratch database {name} failed ({first_line(str(exc))}); "
                "the live database was only read. Fix the cause and run again."
            ) from exc
        self._mark_created(conn, name, kind=kind)
        try:
            set_allow_connections(conn, name, True)
        except BaseException:
            self._drop(conn, name)
            raise
        return None

    def _other_clients(self, conn, *, closed):
        """The pids of the other client sessions on the live database.  An autovacuum worker does
        not count: CREATE DATABASE stops those itself (and waits a few seconds for them); counting
        them sent a freshly loaded database to pg_restore for nothing.  A session a client has just
        closed stays in pg_stat_activity until its server process has exited: this run's own (its
        Django connection, ``closed``; the backup's pg_dump, named ``APP_NAME``) are waited for, up to
        ``SETTLE_WAIT_S``, so that a file copy is not refused for them (anyone else's counts at once)."""
        deadline = time.monotonic() + SETTLE_WAIT_S
        while True:
            others = sessions_on(conn, self.dbname, clients_only=True, named=True)
            ours = all(pid in closed or name == APP_NAME for pid, name in others)
            if not others or not ours or time.monotonic() > deadline:
                return [pid for pid, _ in others]
            time.sleep(0.02)

    def _unfinished_copy(self, name, *, comment, allows_connections):
        """The pid of the run that left ``name`` in the middle of ``_clone_live`` (a database
        named exactly as one of this database's rehearsal copies, closed to connections, with no
        comment at all), else None."""
        stem, _, pid = name.rpartition("_orb_rehearsal_")
        if comment is not None or allows_connections or not stem or not pid.isdigit():
            return None
        return int(pid) if name == self.scratch_name("rehearsal", int(pid)) else None

    def _drop_unfinished_copy(self, conn, name):
        self._assert_not_live(name, action="drop")
        row = database_row(conn, name, "comment", "allows_connections")
        if row is not None and self._unfinished_copy(name, comment=row[0], allows_connections=row[1]) is not None:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident(name)))

    def _drop(self, conn, name):
        """Drop the scratch database ``name``: never the live database, never one that no
        safe_migrate run marked as its own (those raise; a missing one is fine)."""
        self._assert_not_live(name, action="drop")
        found = self._scratch_mark(conn, name)
        if found is None:
            return
        oid, mark = found
        if mark is None:
            raise MigrationFailed(
                f"The database {name} is not marked as a safe_migrate scratch database, so it was not "
                "dropped; drop it by hand if it is a leftover."
            )
        if oid == self._live_oid(conn):
            self._assert_not_live(self.dbname, action="drop")
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident(name)))

    def _copy_database_settings(self, conn, new):
        rows = conn.execute(
            "SELECT unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
            "WHERE d.datname = %s AND s.setrole = 0",
            (self.dbname,),
        ).fetchall()
        for (setting,) in rows:
            name, _, value = setting.partition("=")
            conn.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(ident(new), ident(name), sql.Literal(value)))

    def _swap_in(self, conn, *, new, old):
        """Rename the live database to ``old`` (marked as ours, to be dropped) and ``new`` to the
        live name (its scratch mark replaced by the live database's own comment), in one transaction."""
        self._assert_not_live(new, action="rename")
        self._assert_not_live(old, action="rename the live database to")
        row = database_row(conn, self.dbname, "comment")
        if not row:
            with conn.transaction():
                conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident(new), ident(self.dbname)))
                conn.execute(sql.SQL("COMMENT ON DATABASE {} IS NULL").format(ident(self.dbname)))
            return
        live_comment = row[0]
        target = ident(self.dbname)
        set_allow_connections(conn, self.dbname, False)
        try:
            deadline = time.monotonic() + DISCONNECT_WAIT_S
            while True:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.dbname,),
                )
                left = len(sessions_on(conn, self.dbname))
                if not left:
                    break
                if time.monotonic() > deadline:
                    raise MigrationFailed(
                        f"{left} session(s) on {self.label} would not disconnect, so the restored "
                        "database was not swapped in; stop the other clients and run again."
                    )
                time.sleep(0.1)
            with conn.transaction():
                conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(target, ident(old)))
                conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident(old), sql.Literal(self._mark("old"))))
                conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident(new), target))
                conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(target, sql.Literal(live_comment)))
        except BaseException:
            set_allow_connections(conn, self.dbname, True)
            raise

    def cleanup_leftovers(self, *, report):
        """Drop the scratch databases that killed runs on this database left: found by their
        mark (``COMMENT ON DATABASE``), never by name.  One that merely looks like a scratch
        name is left alone, with a warning."""
        here = socket.gethostname()
        with self.admin() as conn:
            rows = conn.execute(
                "SELECT datname, shobj_description(oid, 'pg_database'), datallowconn FROM pg_database "
                "WHERE datname <> %s ORDER BY datname",
                (self.dbname,),
            ).fetchall()
            digest = self._name_digest()
            stems = [
                stem for kind in SCRATCH_KINDS for stem in (f"{self.dbname}_orb_{kind}_", f"_{digest}_orb_{kind}_")
            ]
            for name, comment, allows_connections in rows:
                mark = self._parse_mark(comment)
                left_by = self._unfinished_copy(name, comment=comment, allows_connections=allows_connections)
                if left_by is not None:
                    # Nobody can be connected to it, and no other run is making one: we hold the lock.
                    if left_by != os.getpid():
                        self._drop_unfinished_copy(conn, name)
                        report.note(f"Dropped an unfinished rehearsal copy left by an interrupted run: {name}")
                    continue
                if mark is None:
                    if any(
                        stem in name
                        and name.rpartition(stem)[2].isdigit()
                        and self.dbname.startswith(name.rpartition(stem)[0])
                        for stem in stems
                    ):
                        report.warning(
                            f"Left alone a database that is named like a safe_migrate scratch "
                            f"database but is not marked as a safe_migrate scratch database: {name} "
                            "(drop it by hand if it is a leftover)."
                        )
                    continue
                pid = mark.get("pid") if isinstance(mark.get("pid"), int) else 0
                if pid == os.getpid() and mark.get("host") == here:
                    continue
                # We hold the run lock, so no other run is using it: its process is gone
                # (or its pid was reused, or it ran on another host, and nobody is connected).
                in_use = len(sessions_on(conn, name))
                if in_use and (mark.get("host") != here or pid_alive(pid)):
                    continue
                self._drop(conn, name)
                report.note(f"Dropped {SCRATCH_KINDS[mark['kind']]} left by an interrupted run: {name}")
            row = database_row(conn, self.dbname, "allows_connections")
            if row is not None and not row[0]:
                set_allow_connections(conn, self.dbname, True)
                report.note(f"Allowed connections to {self.label} again (an interrupted restore had closed it).")
