"""Scratch databases: names budgeted in bytes, the mark every one carries, creating, dropping,
swapping a restored database in, and cleaning up what killed runs left."""

import hashlib
import json
import os
import socket
import time

from psycopg import sql

from ...errors import MigrationFailed, Refused
from ...journal import now_iso
from ..base import pid_alive
from .connections import NAME_BYTES, clip_bytes, database_row, ident, server_name, sessions_on, set_allow_connections

DISCONNECT_WAIT_S = 10
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
        """Create the empty scratch database ``name`` and mark it as this run's own.  A database
        already there is dropped only when a safe_migrate run marked it (a leftover whose pid
        came round again); otherwise the run is refused."""
        self._assert_not_live(name, action="create")
        found = self._scratch_mark(conn, name)
        if found is not None:
            if found[1] is None:
                raise Refused(
                    f"A database named {name} already exists and is not marked as a safe_migrate scratch "
                    "database, so it was left alone; rename or drop it if it is not needed, and run again."
                )
            self._drop(conn, name)
        row = database_row(conn, self.dbname, "locale")
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(ident(name))
        if row:
            statement = sql.SQL("{} ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(
                statement, sql.Literal(row[0]), sql.Literal(row[1]), sql.Literal(row[2])
            )
        conn.execute(statement)
        try:
            conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident(name), sql.Literal(self._mark(kind))))
        except BaseException:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident(name)))
            raise

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
                "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname <> %s ORDER BY datname",
                (self.dbname,),
            ).fetchall()
            digest = self._name_digest()
            stems = [
                stem for kind in SCRATCH_KINDS for stem in (f"{self.dbname}_orb_{kind}_", f"_{digest}_orb_{kind}_")
            ]
            for name, comment in rows:
                mark = self._parse_mark(comment)
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
