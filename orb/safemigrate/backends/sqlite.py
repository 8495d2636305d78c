"""SQLite: the embedded default on board.

Backups and copies go through SQLite's online backup API (a consistent copy while
other connections read and write), never a byte copy of a live file.  A restore
copies the backup *into* the live database through the same API, in one transaction,
so other connections stay valid and a kill mid-restore leaves the old database.
"""

import glob
import os
import shutil
import sqlite3
from contextlib import contextmanager, suppress
from urllib.parse import quote

from django.db import migrations as ops
from django.db import models

from ..background import BackgroundCheck
from ..errors import Refused, UsageError
from ..files import fsync_path, open_private, private_umask
from ..lock import FileLock, live_holder
from ..sizes import human_bytes
from .base import Backend, db_attributes, pid_alive
from .row_guards import bypass_clause, bypass_table_statement
from .sqlite_writes import WriteRecorder

BUSY_TIMEOUT_S = 30  # safe_migrate's own connections to the file
CONNECTION_BUSY_TIMEOUT_MS = 20_000  # every Django connection (a second writer waits, then fails)
SETTINGS_TIMEOUT_S = 20  # the ``timeout`` OPTION of the DATABASES entry
REWRITE_FACTOR = 3  # disk used by a table rebuild, in multiples of the table's size (see space_needed)


def ro_uri(path):
    return f"file:{quote(os.path.abspath(path))}?mode=ro"


def open_readonly(path):
    return sqlite3.connect(ro_uri(path), uri=True, timeout=BUSY_TIMEOUT_S)


def quick_check_file(path):
    """Problems reported by ``PRAGMA quick_check`` on ``path`` ([] when ok)."""
    try:
        conn = open_readonly(path)
    except sqlite3.Error as exc:
        return [f"cannot open {path}: {exc}"]
    try:
        rows = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows[:10]


def _orphans_sentence(rows):
    """The rows of ``PRAGMA foreign_key_check`` in one phrase."""
    table, rowid, parent = rows[0][:3]
    return f"{len(rows)} row(s) point at missing rows, e.g. {table} rowid {rowid} -> {parent}"


def _adds_in_place(field):
    """Django's SQLite schema editor adds ``field`` with ALTER TABLE ADD COLUMN (no remake): a
    nullable column, neither unique nor a key, with no default (a datetime filled on creation has
    one) and no database default (a conservative reading of DatabaseSchemaEditor.add_field)."""
    filled_on_creation = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    return (
        field.null
        and not field.unique
        and not field.primary_key
        and not field.has_default()
        and not filled_on_creation
        and not field.has_db_default()
    )


class SQLiteBackend(Backend):
    engine = "sqlite"
    internal_tables = frozenset({"sqlite_sequence", "sqlite_stat1", "sqlite_stat4"})
    # SQLite alters a table by copying it into a new one (Django's schema editor "remakes" it).
    rewriting_operations = (
        ops.AlterField,
        ops.RemoveField,
        ops.RenameField,
        ops.AddField,
        ops.AlterUniqueTogether,
        ops.AddConstraint,
        ops.RemoveConstraint,
    )
    backup_errors = (sqlite3.Error,)
    _recorder = None  # the WriteRecorder of the plan being applied (begin_apply)
    _recorded = None  # the same, once written_scope() ended its recording
    state_dir_words = ("the database directory", "database folder (where the journal and lock live)")
    prefix_names_test_database = False  # Django's SQLite test database is in memory or TEST["NAME"]

    @classmethod
    def rewrites(cls, operation, *, old_field=None):
        # Of the operations that may remake the table, Django's SQLite schema editor adds a
        # nullable column without a default, and renames a column that is no foreign key, in place
        # (ALTER TABLE); an AlterField that changes only what the database never sees (choices,
        # help text, validators) touches nothing.
        if not isinstance(operation, cls.rewriting_operations):
            return False
        if isinstance(operation, ops.AddField):
            return not operation.field.many_to_many and not _adds_in_place(operation.field)
        if isinstance(operation, ops.RenameField):
            return old_field is None or isinstance(old_field, models.ForeignKey)
        if isinstance(operation, ops.AlterField):
            return old_field is None or db_attributes(old_field) != db_attributes(operation.field)
        return True

    def __init__(self, connection, *, backup_dir=None):
        super().__init__(connection, backup_dir=backup_dir)
        name = str(connection.settings_dict["NAME"])
        if name.startswith("file:") or name in ("", ":memory:"):
            raise UsageError(
                f"Database {connection.alias!r} is not a plain SQLite file ({name or 'in memory'}); "
                "point DATABASE_URL at a file such as sqlite:///data/orb.db."
            )
        self.path = os.path.abspath(name)

    # --- settings and connections ------------------------------------------------------
    @staticmethod
    def prepare_settings(database):
        """The embedded default: the database's folder is created on first use, connections wait
        for a busy file, and tests get their own file (not :memory:) so subprocess tests and WAL
        behave as on board."""
        path = str(database.get("NAME") or "")
        if path not in (":memory:", ""):
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        database.setdefault("OPTIONS", {})["timeout"] = SETTINGS_TIMEOUT_S
        database.setdefault("TEST", {})

    @staticmethod
    def configure_connection(connection):
        """Every new connection to the file gets WAL journaling (readers do not block the one
        writer), a busy timeout (a second writer waits instead of failing at once) and enforced
        foreign keys.  Django already turns foreign keys on for SQLite; the pragma is repeated
        here so the rule is explicit and visible.  In-memory and read-only connections are left
        as they are."""
        name = str(connection.settings_dict["NAME"])
        if name in (":memory:", "") or "mode=memory" in name or "mode=ro" in name:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {CONNECTION_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")

    # --- row guards ------------------------------------------------------------------------
    @classmethod
    def guard_statements(cls, guards, *, bypass_table=None):
        statements = bypass_table_statement(bypass_table)
        bypass = bypass_clause(bypass_table)
        for guard in guards:
            conditions = [c for c in (guard.condition, bypass) if c]
            when = f" WHEN {' AND '.join(conditions)}" if conditions else ""
            for op in guard.OPERATIONS:
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {guard.trigger_name(op)} BEFORE {guard.event(op)} ON {guard.table} "
                    f"FOR EACH ROW{when} BEGIN SELECT RAISE(ABORT, '{guard.message}'); END"
                )
        return statements

    @classmethod
    def guard_trigger_names(cls, guards):
        return [guard.trigger_name(op) for guard in guards for op in guard.OPERATIONS]

    @classmethod
    def guard_drop_statements(cls, guards):
        return [f"DROP TRIGGER IF EXISTS {name}" for name in cls.guard_trigger_names(guards)]

    @classmethod
    def installed_triggers(cls, cursor, *, prefix):
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [prefix + "%"])
        return {row[0] for row in cursor.fetchall()}

    @classmethod
    def guard_drops_before_migration(cls, guards):
        # A table rebuild renames the new copy over the dropped table; SQLite refuses that rename
        # while a trigger's body names a table that is missing at that moment.
        return [
            f"DROP TRIGGER IF EXISTS {guard.trigger_name(op)}"
            for guard in guards
            if guard.reads_other_tables
            for op in guard.OPERATIONS
        ]

    @classmethod
    def serialize_transaction(cls, cursor, *, key):
        pass  # one writer at a time: the write transaction already orders them

    @classmethod
    def is_test_database(cls, connection):
        """Also an in-memory database (which holds nothing to lose anyway).  A ship's SQLite file
        is never in memory and its NAME is an absolute path, so no rule can match it by accident."""
        if connection.is_in_memory_db():
            return True
        return super().is_test_database(connection)

    # --- where things live -------------------------------------------------------
    @property
    def label(self):
        return self.path

    @property
    def default_backup_dir(self):
        return os.path.dirname(self.path)

    @property
    def state_prefix(self):
        return self.path

    def backup_basename(self, stamp):
        return f"{os.path.basename(self.path)}.backup-{stamp}"

    # --- facts ---------------------------------------------------------------------
    def exists(self):
        return os.path.exists(self.path)

    def size(self):
        total = 0
        for suffix in ("", "-wal"):
            with suppress(OSError):
                total += os.path.getsize(self.path + suffix)
        return total

    def describe(self):
        info = super().describe()
        info["sqlite_version"] = sqlite3.sqlite_version
        return info

    def other_users(self):
        """Pids of other processes with the database file open (Linux /proc)."""
        targets = {self.path, self.path + "-wal"}
        pids = set()
        for fd_dir in glob.glob("/proc/[0-9]*/fd"):
            pid = int(fd_dir.split("/")[2])
            if pid == os.getpid():
                continue
            try:
                for entry in os.listdir(fd_dir):
                    try:
                        if os.readlink(os.path.join(fd_dir, entry)) in targets:
                            pids.add(pid)
                            break
                    except OSError:
                        continue
            except OSError:
                continue
        return sorted(pids)

    # --- connection modes ------------------------------------------------------------
    @contextmanager
    def read_only(self):
        if self.exists():
            target = ro_uri(self.path)
            if not os.path.exists(self.path + "-wal"):
                # No writer has the database open (a writer keeps the -wal file): read the file
                # as immutable, so SQLite creates no -wal/-shm beside it either.
                target += "&immutable=1"
        else:
            # No file yet: describe it as the empty database it would be, without creating it.
            target = f"file:orb-absent-{os.getpid()}?mode=memory"
        with self.pointed_at(target):
            yield

    @contextmanager
    def pointed_at(self, target):
        conn = self.connection
        original = conn.settings_dict["NAME"]
        conn.close()
        conn.settings_dict["NAME"] = target
        try:
            yield
        finally:
            conn.close()
            conn.settings_dict["NAME"] = original

    @contextmanager
    def reading_backup(self, path):
        # A backup is never written again: immutable, so SQLite creates no -wal/-shm beside it.
        with self.pointed_at(ro_uri(path) + "&immutable=1"):
            yield True

    # --- work ------------------------------------------------------------------------
    def quick_check(self):
        return quick_check_file(self.path)

    def raw_files(self):
        # Commits still in the write-ahead log belong to the current state: keep them beside it.
        return [(self.path, "")] + ([(self.path + "-wal", "-wal")] if os.path.exists(self.path + "-wal") else [])

    def integrity_problems_in_transaction(self, scope=None):
        # quick_check(TABLE) reads that table and its indexes, with the same per-page checks.
        arguments = [""] if scope is None else [f"({_quoted(table)})" for table in scope]
        problems = []
        with self.connection.cursor() as cursor:
            for argument in arguments:
                cursor.execute(f"PRAGMA quick_check{argument}")
                problems += [row[0] for row in cursor.fetchall() if row[0] != "ok"]
        return problems

    def foreign_key_problems_in_transaction(self, scope=None):
        with self.connection.cursor() as cursor:
            if scope is None:
                rows = cursor.execute("PRAGMA foreign_key_check").fetchall()
            else:
                rows = []
                for table in _with_referencing_tables(cursor, scope):
                    rows += cursor.execute(f"PRAGMA foreign_key_check({_quoted(table)})").fetchall()
        return [_orphans_sentence(rows)] if rows else []

    def written_scope(self):
        recorder, self._recorder = self._recorder, None
        self._recorded = recorder
        if recorder is None:
            return None
        with self.connection.cursor() as cursor:
            return recorder.scope(cursor)

    def tables_left_alone(self, tables):
        return set() if self._recorded is None else self._recorded.left_alone(tables)

    def _copy(self, source, dest, *, report, label):
        """Online copy of ``source`` into ``dest`` (standalone, journal_mode=DELETE), a private
        file: created 0600 here unless the caller already made it so, never through a link."""
        if not os.path.lexists(dest):
            os.close(open_private(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
        with private_umask():  # SQLite's -journal beside it too
            self._copy_into(source, dest, report=report, label=label)
        fsync_path(dest)

    def _copy_into(self, source, dest, *, report, label):
        src = open_readonly(source)
        try:
            # One read transaction for the whole copy: every step reads the same snapshot. Without
            # it each step sees the other writers' commits and SQLite restarts the copy, so a
            # steady writer (the web app) could keep a step-wise backup from ever finishing. In WAL
            # mode a reader never blocks a writer, so they go on committing meanwhile.
            src.execute("BEGIN")
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
            dst = sqlite3.connect(dest)
            try:
                total = src.execute("PRAGMA page_count").fetchone()[0] or 1
                step = max(256, total // 50)

                def progress(status, remaining, pages):
                    report.percent(pages - remaining, pages, label=label)

                src.backup(dst, pages=step, progress=progress)
                dst.execute("PRAGMA journal_mode=DELETE")
                report.percent(total, total, label=label)
            finally:
                dst.close()
        finally:
            src.close()

    def write_backup(self, dest, *, report):
        self._copy(self.path, dest, report=report, label="Backing up")

    def verify_backup_file(self, path):
        return quick_check_file(path)

    def foreign_backup_problems(self, path):
        """A file to restore with --foreign must be a sound SQLite database of a Django project."""
        try:
            with open(path, "rb") as handle:
                header = handle.read(16)
        except OSError as exc:
            return [f"it cannot be read ({exc.strerror})"]
        if header != b"SQLite format 3\x00":
            return ["it is not an SQLite database"]
        try:
            conn = open_readonly(path)
        except sqlite3.Error as exc:
            return [f"it cannot be opened as SQLite ({exc})"]
        try:
            rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if rows != ["ok"]:
                return [f"its integrity check failed ({rows[0]})"]
            if not conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='django_migrations'"
            ).fetchone():
                return ["it has no django_migrations table, so it is not a database of this project"]
        except sqlite3.DatabaseError as exc:
            return [f"it cannot be read as SQLite ({exc})"]
        finally:
            conn.close()
        return []

    def restore_from(self, path, *, report):
        src = open_readonly(path)
        try:
            dst = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
            try:
                # One step: the whole copy is one write transaction on the live database.
                src.backup(dst, pages=-1)
                dst.execute("PRAGMA journal_mode=WAL")
            finally:
                dst.close()
        finally:
            src.close()
        report.percent(1, 1, label="Restoring")

    def make_rehearsal_copy(self, *, report):
        dest = f"{self.path}.rehearsal-{os.getpid()}"
        self.drop_rehearsal_copy(dest)
        if self.exists():
            self._copy(self.path, dest, report=report, label="Copying for the rehearsal")
        return dest

    def drop_rehearsal_copy(self, target):
        for suffix in ("", "-wal", "-shm", "-journal"):
            with suppress(FileNotFoundError):
                os.unlink(target + suffix)

    def cleanup_leftovers(self, *, report):
        for path in glob.glob(glob.escape(self.path) + ".rehearsal-*"):
            tail = path.rsplit("-", 1)[-1]
            if not tail.isdigit() or pid_alive(int(tail)):
                continue
            self.drop_rehearsal_copy(path)
            report.note(f"Removed a rehearsal copy left by an interrupted run: {path}")

    def _table_bytes(self, tables):
        """Bytes of the given tables and their indexes (dbstat), or None when unknown."""
        if not tables or not self.exists():
            return 0
        try:
            conn = open_readonly(self.path)
        except sqlite3.Error:
            return None
        try:
            largest = 0
            for table in tables:
                names = [table] + [
                    row[0]
                    for row in conn.execute(
                        "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name=?", (table,)
                    )
                ]
                marks = ",".join("?" * len(names))
                size = conn.execute(
                    f"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ({marks})", names
                ).fetchone()[0]
                largest = max(largest, size)
            return largest
        except sqlite3.Error:
            return None  # dbstat not compiled in
        finally:
            conn.close()

    def space_needed(self, *, rewritten_tables, rehearse, backup=True):
        """Bytes needed per directory: [(directory, bytes, what)].

        ``backup=False`` is a dry run: no backup and no change to the real database, only the copy.
        """
        size = self.size()
        rewrite = None if rewritten_tables is None else self._table_bytes(rewritten_tables)
        if rewrite is None:
            rewrite = size
        needs = [(self.backup_dir, size, "the backup")] if backup else []
        if rewrite and backup:
            # Measured on a WAL database: rebuilding a table of N bytes inside one transaction
            # grows the -wal file to about 2N (the new pages, and the old ones as they are
            # freed), and the checkpoint then grows the database file by N while the -wal
            # still exists.  Counting N alone let a rebuild start that the disk could not hold.
            needs.append(
                (
                    os.path.dirname(self.path),
                    REWRITE_FACTOR * rewrite,
                    f"the WAL and file growth of rewritten tables ({REWRITE_FACTOR} x {human_bytes(rewrite)})",
                )
            )
        if rehearse:
            # The copy, and the copy growing by the rewritten tables while it is rehearsed on.
            needs.append((os.path.dirname(self.path), size + rewrite, "the rehearsal copy"))
        return needs

    def disk_full_hint(self):
        directory = os.path.dirname(self.path)
        try:
            free = shutil.disk_usage(directory).free
        except OSError:
            return None
        if free < 1024 * 1024:
            return f"the disk holding {directory} is full ({human_bytes(free)} free); free some space and run again"
        return None

    def check_database_writable(self):
        if self.exists() and not os.access(self.path, os.W_OK):
            raise Refused(f"The database file {self.path} is not writable; fix its permissions and run again.")

    def table_rows(self, path=None):
        """{table: rows} of the live database, or of the SQLite file at ``path``."""
        conn = open_readonly(path or self.path)
        try:
            tables = [
                r[0]
                for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
            ]
            return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        finally:
            conn.close()

    def foreign_key_problems(self):
        """``PRAGMA foreign_key_check`` on the committed file ([] when every reference holds)."""
        try:
            conn = open_readonly(self.path)
        except sqlite3.Error as exc:
            return [f"cannot open {self.path}: {exc}"]
        try:
            rows = conn.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.DatabaseError as exc:
            return [str(exc)]
        finally:
            conn.close()
        return [_orphans_sentence(rows)] if rows else []

    def committed_problems(self):
        # Each check opens its own read-only connection to the committed file, so the foreign-key
        # check runs in a second thread beside quick_check (SQLite releases the GIL while it reads):
        # the same two checks over the same file, in about the time of the longer one.
        references = BackgroundCheck(self.foreign_key_problems)
        problems = self.quick_check()
        return problems + references.verdict()[0]

    def run_lock(self):
        return FileLock(self.lock_path)

    def lock_holder(self):
        return live_holder(self.lock_path)

    def maintenance_active(self):
        holder = live_holder(self.lock_path)
        return bool(holder and holder.maintenance)

    def begin_apply(self):
        conn = self.connection
        conn.ensure_connection()
        with conn.cursor() as cursor:
            # Django's SQLite schema editor needs foreign keys off, and the pragma is a
            # no-op inside a transaction: set it before BEGIN IMMEDIATE.
            cursor.execute("PRAGMA foreign_keys = OFF")
        previous_mode = conn.transaction_mode
        conn.transaction_mode = "IMMEDIATE"
        self._recorder, self._recorded = WriteRecorder(conn.connection), None

        def cleanup():
            conn.transaction_mode = previous_mode
            if self._recorder is not None and conn.connection is not None:
                conn.connection.set_authorizer(None)
            self._recorder = self._recorded = None
            if conn.connection is not None and not conn.in_atomic_block:
                with conn.cursor() as cursor:
                    cursor.execute("PRAGMA foreign_keys = ON")

        return cleanup


def _quoted(name):
    return '"' + name.replace('"', '""') + '"'


def _with_referencing_tables(cursor, scope):
    """``scope``'s tables and every table with a foreign key to one of them (deleting a parent
    row orphans its children): the tables a plan that wrote ``scope`` can leave dangling. SQLite's
    names are case-insensitive, so a REFERENCES clause may spell its table otherwise."""
    written = set(scope)
    parents = {name.lower() for name in written}
    tables = [row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
    referencing = {
        table
        for table in tables
        if any(row[2].lower() in parents for row in cursor.execute(f"PRAGMA foreign_key_list({_quoted(table)})"))
    }
    return sorted((written & set(tables)) | referencing)
