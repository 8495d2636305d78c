"""The PostgreSQL backend: the class tying connections, client tools, scratch databases and
locks together behind ``base.Backend`` (see the package's docstring for what each does)."""

import contextlib
import os
from contextlib import contextmanager

import psycopg
from django.conf import settings
from psycopg import sql

from ...errors import MigrationFailed, Refused
from ..base import Backend
from .connections import ConnectionsMixin, database_row, first_line, ident, sessions_on
from .locks import LocksMixin
from .row_guards import RowGuardsMixin
from .scratch import ScratchDatabasesMixin
from .tools import ClientToolsMixin


class PostgreSQLBackend(ConnectionsMixin, ClientToolsMixin, ScratchDatabasesMixin, LocksMixin, RowGuardsMixin, Backend):
    engine = "postgresql"
    backup_suffix = ".dump"
    state_dir_words = ("the state directory (ORB_STATE_DIR)", "state folder (ORB_STATE_DIR)")
    folder_options = "--backup-dir / ORB_STATE_DIR"

    def __init__(self, connection, *, backup_dir=None):
        super().__init__(connection, backup_dir=backup_dir)
        self.dbname = str(connection.settings_dict["NAME"] or "")
        self.settings_dict = dict(connection.settings_dict)
        self._admin_db = None

    # --- where things live -------------------------------------------------------
    @property
    def default_backup_dir(self):
        return os.path.join(settings.BASE_DIR, "data", "backups")

    @property
    def state_prefix(self):
        state_dir = getattr(settings, "ORB_STATE_DIR", None) or os.path.join(settings.BASE_DIR, "data")
        return os.path.join(str(state_dir), self.dbname)

    def backup_basename(self, stamp):
        return f"{self.dbname}.backup-{stamp}"

    # --- facts ---------------------------------------------------------------------
    def exists(self):
        with self.admin() as conn:
            return database_row(conn, self.dbname, "oid") is not None

    def size(self):
        with self.admin() as conn:
            row = database_row(conn, self.dbname, "size")
        return row[0] if row else 0

    def describe(self):
        with self.admin() as conn:
            row = database_row(conn, self.dbname, "size")
            others = len(sessions_on(conn, self.dbname, others_only=True))
            version = conn.execute("SHOW server_version").fetchone()[0]
        return {
            "engine": self.engine,
            "database": self.label,
            "size": row[0] if row else 0,
            "server_version": version,
            "other_connections": others,
        }

    def other_users(self):
        own = set()
        if self.connection.connection is not None:
            with contextlib.suppress(Exception):
                own.add(self.connection.connection.info.backend_pid)
        with self.admin() as conn:
            pids = sessions_on(conn, self.dbname, others_only=True)
        return sorted(pid for pid in pids if pid not in own)

    def table_rows(self, path=None):
        """{table: rows} of the live database; a dump's row counts are unknown without restoring it."""
        if path is not None:
            raise LookupError("row counts inside a pg_dump archive are not known without restoring it")
        with self._target_connect() as conn:
            tables = conn.execute(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(relname), relname FROM pg_stat_user_tables"
            ).fetchall()
            return {name: conn.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0] for qualified, name in tables}

    # --- preflight ---------------------------------------------------------------------
    def check_reachable(self):
        self.check_name()
        self.ping()

    def can_create_databases(self):
        with self.admin() as conn:
            return conn.execute("SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user").fetchone()[
                0
            ]

    def require_createdb(self, why):
        if not self.can_create_databases():
            raise Refused(
                f"The PostgreSQL user {self.settings_dict.get('USER') or '(default)'} may not create "
                f"databases, which {why} needs; grant it with `ALTER ROLE ... CREATEDB` and run again."
            )

    def create_if_missing(self, *, report):
        if self.exists():
            return
        with self.admin() as conn:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(ident(self.dbname)))
            except psycopg.errors.DuplicateDatabase:
                return
            except psycopg.Error as exc:
                raise Refused(
                    f"The database {self.label} does not exist and cannot be created "
                    f"({first_line(str(exc))}); create it (createdb {self.dbname}) and run again."
                ) from exc
        report.note(f"Created the empty database {self.label}.")

    def space_needed(self, *, rewritten_tables, rehearse, backup=True):
        # The rehearsal's scratch database lives on the server's disk, which this host cannot see.
        return [(self.backup_dir, self.size(), "the backup")] if backup else []

    def check_space_prerequisites(self, *, rehearse):
        if rehearse:
            self.require_createdb("the rehearsal on a scratch database")

    # --- work ------------------------------------------------------------------------
    def quick_check(self):
        return []

    def foreign_key_problems_in_transaction(self, scope=None):
        # The server enforces foreign keys itself; deferred ones are checked now (a violation
        # raises the server's error).
        with self.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return []

    def fire_deferred_constraints(self):
        # Pending trigger events would also make a later ALTER TABLE of the same table fail.
        if self.connection.in_atomic_block:
            self.foreign_key_problems_in_transaction()

    def write_backup(self, dest, *, report):
        self.check_tools()
        report.percent(0, 1, label="Backing up")
        self.dump(dest)
        with open(dest, "rb") as handle:
            os.fsync(handle.fileno())
        report.percent(1, 1, label="Backing up")

    def restore_from(self, path, *, report):
        """Restore ``path`` into a new database, then swap names in one transaction."""
        self.require_createdb("a restore (into a new database, then swapped in)")
        self.connection.close()
        new = self.scratch_name("restore")
        old = self.scratch_name("old")
        with self.admin() as conn:
            found = self._scratch_mark(conn, old)
            if found is not None and found[1] is None:
                raise Refused(
                    f"A database named {old} already exists and is not marked as a safe_migrate scratch "
                    "database, so the restore cannot park the current database under that name; rename or "
                    "drop it, and run again."
                )
            if found is not None:
                self._drop(conn, old)
            self._create_scratch(conn, new, kind="restore")
            try:
                self._restore_into(new, source=path, report=report, label="Restoring")
                self._copy_database_settings(conn, new)
                self._swap_in(conn, new=new, old=old)
            except BaseException:
                with contextlib.suppress(psycopg.Error):
                    self._drop(conn, new)
                raise
            try:
                self._drop(conn, old)
            except (psycopg.Error, MigrationFailed, Refused) as exc:
                report.warning(f"Could not drop the replaced database {old} ({first_line(str(exc))}); drop it by hand.")

    @contextmanager
    def reading_backup(self, path):
        """A dump cannot be read in place: restore it into a marked scratch database, point the
        connection at it read-only, and drop it afterwards (the dump file is only read).  Without
        the right to create databases the comparison is skipped (yield False)."""
        if not self.can_create_databases():
            yield False
            return
        name = self.scratch_name("read")
        with self.admin() as conn:
            self._create_scratch(conn, name, kind="read")
        try:
            self._restore_into(name, source=path, report=_Unreported(), label="Reading the backup")
            with self._pointed(name, extra_options="-c default_transaction_read_only=on"):
                yield True
        finally:
            self.connection.close()
            with self.admin() as conn:
                self._drop(conn, name)

    def make_rehearsal_copy(self, *, report):
        """The live database copied into a marked scratch database: a file copy (``CREATE DATABASE
        … TEMPLATE``) when no other session is connected to it, else ``pg_dump | pg_restore``
        (which other sessions do not disturb); the progress says which, and why."""
        self.require_createdb("the rehearsal on a scratch database")
        target = self.scratch_name("rehearsal")
        with self.admin() as conn:
            if not self.exists():
                self._create_scratch(conn, target, kind="rehearsal")
                return target
            if self.connection.in_atomic_block:
                why_not = "this run's own session is inside a transaction"
            else:
                raw = self.connection.connection
                own = {raw.info.backend_pid} if raw is not None and not raw.closed else set()
                self.connection.close()  # the server copies no database anyone, even we, is connected to
                report.percent(0, 1, label="Copying for the rehearsal")
                why_not = self._clone_live(conn, target, kind="rehearsal", closed=own)
            if why_not is None:
                report.percent(1, 1, label="Copying for the rehearsal")
                report.note(f"Copied {self.label} for the rehearsal as a file copy (CREATE DATABASE … TEMPLATE).")
                return target
            self._create_scratch(conn, target, kind="rehearsal")
        report.note(f"Copying {self.label} for the rehearsal with pg_dump | pg_restore: {why_not}.")
        try:
            self._restore_into(target, source=None, report=report, label="Copying for the rehearsal")
        except BaseException:
            self.drop_rehearsal_copy(target)
            raise
        return target

    def drop_rehearsal_copy(self, target):
        self.connection.close()
        with self.admin() as conn:
            self._drop(conn, target)

    def begin_apply(self):
        conn = self.connection
        conn.ensure_connection()
        with conn.cursor() as cursor:
            # Wait at most this long for another session's lock on a table the plan alters,
            # instead of hanging (the plan then fails and is rolled back).
            cursor.execute("SET lock_timeout = '60s'")

        def cleanup():
            if conn.connection is not None and not conn.in_atomic_block:
                try:
                    with conn.cursor() as cursor:
                        cursor.execute("RESET lock_timeout")
                except Exception:
                    conn.close()

        return cleanup


class _Unreported:
    """Progress of a restore nobody watches (reading a backup for a comparison)."""

    def percent(self, done, total, *, label):
        pass
