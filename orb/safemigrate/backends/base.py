"""The interface every backend implements.

A backend knows where its database lives, how to copy, back up, restore and verify
it, how to point the Django connection at a rehearsal copy, and how to lock.
Everything else (plans, checks, journal) is engine-neutral and lives one level up.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager, suppress

from django.conf import settings

from ..errors import Refused
from ..files import makedirs_private, shared_folder_problem
from ..sizes import human_bytes

SPACE_MARGIN = 1.05  # free disk needed, in multiples of what the run writes ...
SPACE_SLACK = 1024 * 1024  # ... plus this: the database's own journal pages, the sidecars


def db_attributes(field):
    """What of ``field`` the database sees: its class and the keyword arguments that are not
    ``non_db_attrs`` (Django's own list of attributes that never change the schema)."""
    _, path, args, kwargs = field.deconstruct()
    return path, tuple(args), {key: value for key, value in kwargs.items() if key not in field.non_db_attrs}


class Backend:
    engine = "?"
    backup_suffix = ""
    # Tables of the database's own bookkeeping, never counted by the data-preservation check.
    internal_tables = frozenset()
    # Migration operations after which this engine rewrites the whole table (disk preflight).
    rewriting_operations = ()
    # Errors (besides OSError) that ``write_backup`` raises when the disk or the file fails.
    backup_errors = ()
    # Words for the folder of the journal and lock: (as a directory to write to, as a folder others
    # must not write to), and the options that choose the folders.
    state_dir_words = ("the state directory", "state folder")
    folder_options = "--backup-dir"

    @classmethod
    def rewrites(cls, operation, *, old_field=None):
        """True when this engine rewrites the whole table for ``operation`` (``old_field``: the
        field before an AlterField or RenameField, when known)."""
        return isinstance(operation, cls.rewriting_operations)

    def __init__(self, connection, *, backup_dir=None):
        self.connection = connection
        self.alias = connection.alias
        self.explicit_backup_dir = backup_dir

    # --- where things live -------------------------------------------------------
    @property
    def label(self):
        """A short human name of the database (file path or dbname@host)."""
        raise NotImplementedError

    @property
    def backup_dir(self):
        return os.path.abspath(self.explicit_backup_dir or settings.ORB_BACKUP_DIR or self.default_backup_dir)

    @property
    def default_backup_dir(self):
        raise NotImplementedError

    @property
    def state_prefix(self):
        """Path prefix of the journal and lock files (fixed per database)."""
        raise NotImplementedError

    @property
    def journal_path(self):
        return self.state_prefix + ".safe_migrate.journal.jsonl"

    @property
    def lock_path(self):
        return self.state_prefix + ".safe_migrate.lock"

    @property
    def state_dir(self):
        """The folder of the journal and the lock."""
        return os.path.dirname(self.lock_path)

    def backup_basename(self, stamp):
        raise NotImplementedError

    # --- facts ---------------------------------------------------------------------
    def exists(self):
        raise NotImplementedError

    def size(self):
        raise NotImplementedError

    def describe(self):
        return {"engine": self.engine, "database": self.label, "size": self.size() if self.exists() else 0}

    def other_users(self):
        """Other processes/sessions holding the database open (for a warning)."""
        return []

    def table_rows(self, path=None):
        """{table: rows} of the live database, or of the backup at ``path``; raises when the
        backend cannot count a backup's rows without restoring it."""
        raise NotImplementedError

    # --- settings and connections (class level: no backend object needed) -------------
    @staticmethod
    def prepare_settings(database):
        """Vendor defaults for one ``DATABASES`` entry, applied at settings time."""

    @staticmethod
    def configure_connection(connection):
        """Settings of every new connection (the ``connection_created`` receiver)."""

    # --- row guards (triggers refusing UPDATE/DELETE of protected rows; see row_guards.py) ------
    @classmethod
    def guard_statements(cls, guards, *, bypass_table=None):
        """The SQL that creates the triggers of ``guards`` (existing ones kept or replaced)."""
        raise NotImplementedError

    @classmethod
    def guard_trigger_names(cls, guards):
        """The names of every trigger ``guard_statements`` creates."""
        raise NotImplementedError

    @classmethod
    def guard_drop_statements(cls, guards):
        """The SQL that removes the triggers of ``guards`` again."""
        raise NotImplementedError

    @classmethod
    def installed_triggers(cls, cursor, *, prefix):
        """The names of the triggers whose name starts with ``prefix``."""
        raise NotImplementedError

    @classmethod
    def guard_drops_before_migration(cls, guards):
        """SQL dropping the triggers a migration run would trip over (a table rebuild, a column
        type change); they are put back after the run by ``guard_statements``."""
        return []

    @classmethod
    def serialize_transaction(cls, cursor, *, key):
        """Make concurrent transactions that call this with ``key`` run one after the other."""

    @classmethod
    def is_test_database(cls, connection):
        """True when ``connection`` points at a database Django's test machinery created.

        Decided by the database the connection will write to, not by "are tests running"
        (a flag such as setup_test_environment() says nothing about which database a
        connection points at).  Django's ``create_test_db`` switches the connection's NAME to
        the test database's name before it calls ``migrate``, and that name is, by Django's
        own rules (``_get_test_db_name``): the configured ``TEST["NAME"]`` when there is one
        (pytest-django adds its xdist suffix to both), so only a NAME equal to it counts;
        otherwise ``test_`` + NAME (``TEST_DATABASE_PREFIX``).  An explicit TEST NAME wins over
        the prefix rule.  A backend may add its own rule (``test_name_rule``).
        """
        # Imported here: this module is imported at settings time, before django.db may be.
        from django.db.backends.base.creation import TEST_DATABASE_PREFIX

        settings_dict = connection.settings_dict
        name = str(settings_dict.get("NAME") or "")
        test_name = (settings_dict.get("TEST") or {}).get("NAME")
        if test_name:
            return name == str(test_name)
        return cls.prefix_names_test_database and name.startswith(TEST_DATABASE_PREFIX)

    # Whether Django names this vendor's test database ``test_`` + NAME when no TEST NAME is set.
    prefix_names_test_database = True

    # --- connection modes ------------------------------------------------------------
    @contextmanager
    def read_only(self):
        """Point the connection at the database without any chance of writing or creating it."""
        yield

    @contextmanager
    def pointed_at(self, target):
        """Point the Django connection at another database (a rehearsal copy)."""
        raise NotImplementedError

    @contextmanager
    def reading_backup(self, path):
        """Point the connection at the backup ``path``, read-only (not a byte of it changes), and
        yield True; yield False where a backup is not a database the connection can open."""
        yield False

    # --- work ------------------------------------------------------------------------
    def quick_check(self):
        """Problems found by a fast integrity check of the live database ([] when fine)."""
        return []

    def raw_files(self):
        """The files holding the database as they are on disk, for a byte copy of a damaged
        one: [(path, suffix)], the database itself first (suffix ""), then companions to keep
        beside the copy under ``<copy><suffix>``."""
        raise NotImplementedError

    # --- inside the apply transaction (see apply.py and checks.py) -----------------------
    def integrity_problems_in_transaction(self, scope=None):
        """Problems of a fast integrity check that sees the open transaction's own changes;
        ``scope``: only these tables (``written_scope()``), None: the whole database."""
        return []

    def foreign_key_problems_in_transaction(self, scope=None):
        """References to missing rows, seen from inside the open transaction ([] when fine);
        ``scope``: the references of these tables and to them, None: every reference.
        A backend whose server enforces foreign keys itself raises the server's error here."""
        return []

    def written_scope(self):
        """After the plan, inside its transaction: the tables it wrote (as the database reports
        them, with its schema), or None when they are not known (then everything is checked)."""

    def tables_left_alone(self, tables):
        """After ``written_scope()``: those of ``tables`` the plan provably did not write, drop,
        rename or alter (their rows are counted once, before the plan); empty when not known."""
        return set()

    def fire_deferred_constraints(self):
        """Check deferred constraints now, as a commit between migrations would (no-op when the
        backend has none)."""

    def write_backup(self, dest, *, report):
        raise NotImplementedError

    def verify_backup_file(self, path):
        """Problems of a backup file beyond its checksum ([] when it is usable)."""
        return []

    def foreign_backup_problems(self, path):
        """Problems of a file safe_migrate did not write, before ``--restore PATH --foreign``
        restores it ([] when it may be restored; each problem is a short phrase)."""
        return []

    def restore_from(self, path, *, report):
        raise NotImplementedError

    def make_rehearsal_copy(self, *, report):
        """Create a scratch copy of the database; return its target for ``pointed_at``."""
        raise NotImplementedError

    def drop_rehearsal_copy(self, target):
        raise NotImplementedError

    def cleanup_leftovers(self, *, report):
        """Remove rehearsal copies left by killed runs."""

    def create_if_missing(self, *, report):
        """Create the (empty) database before an applying run if the engine needs that done
        explicitly (SQLite creates its file on first connection)."""

    def space_needed(self, *, rewritten_tables, rehearse, backup=True):
        raise NotImplementedError

    def check_space(self, *, rewritten_tables, rehearse, backup=True):
        """Refuse (raise) when the disk cannot hold what the run writes (``backup=False``: a dry run)."""
        self.check_space_prerequisites(rehearse=rehearse)
        needs = self.space_needed(rewritten_tables=rewritten_tables, rehearse=rehearse, backup=backup)
        for directory, amount, whats in space_per_device(needs):
            free = shutil.disk_usage(directory).free
            needed = int(amount * SPACE_MARGIN) + SPACE_SLACK
            if free < needed:
                raise Refused(
                    f"Not enough free disk in {directory}: {human_bytes(needed)} needed for "
                    f"{' + '.join(whats)}, {human_bytes(free)} available; free some space "
                    "(e.g. `--prune-backups --keep N`) or pass --backup-dir on a larger disk.",
                    details={"needed": needed, "available": free, "directory": directory},
                )

    def check_space_prerequisites(self, *, rehearse):
        """Hook: refuse what the run's space cannot make up for (e.g. no right to create a copy)."""

    def foreign_key_problems(self):
        """Foreign keys of the committed database that point nowhere ([] when fine)."""
        return []

    def committed_problems(self):
        """The verification after COMMIT: the integrity check's problems, then the foreign keys'."""
        return self.quick_check() + self.foreign_key_problems()

    def check_writable(self):
        """Refuse (raise) when a directory the run writes to is not writable, or others can
        write to it, or the journal or lock is a link (hooks: ``check_reachable``,
        ``check_database_writable``, ``check_tools``)."""
        self.check_reachable()
        for directory, what in ((self.state_dir, self.state_dir_words[0]), (self.backup_dir, "the backup directory")):
            problem = writable_problem(directory)
            if problem:
                raise Refused(
                    f"Cannot write to {what}: {problem}; make it writable for this user "
                    f"(or choose another {self.folder_options}) and run again."
                )
        self.check_database_writable()
        refuse_shared_folders([(self.state_dir, self.state_dir_words[1]), (self.backup_dir, "backup folder")])
        refuse_symlinked_state([(self.journal_path, "journal"), (self.lock_path, "lock file")])
        self.check_tools()

    def check_reachable(self):
        """Hook: refuse when the database cannot be worked on at all (checked first)."""

    def check_database_writable(self):
        """Hook: refuse when the database itself cannot be written."""

    def check_tools(self):
        """Hook: refuse when a tool the backups need is missing (checked last)."""

    def disk_full_hint(self):
        """A few words when the disk holding the database is (nearly) full, else None; added to
        the message of a failed plan, whose own error may not say so."""
        return

    def run_lock(self):
        """The lock of one run at a time: ``acquire(mode=, maintenance=, run_id=)``, ``release()``."""
        raise NotImplementedError

    def lock_holder(self):
        """The live run holding the lock (a ``lock.Holder``), or None."""
        raise NotImplementedError

    def maintenance_active(self):
        """True while a run holds the lock with maintenance on.  The web app asks this on every
        request, so it must stay cheap (one failed open() or one query) and never raise."""
        raise NotImplementedError

    def begin_apply(self):
        """Prepare the connection for one all-or-nothing transaction; return a cleanup callable."""
        return lambda: None


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def space_per_device(needs):
    """[(directory, bytes, [what])]: ``needs`` ([(directory, bytes, what)]) summed per disk."""
    per_device = {}
    for directory, amount, what in needs:
        os.makedirs(directory, exist_ok=True)
        entry = per_device.setdefault(os.stat(directory).st_dev, [directory, 0, []])
        entry[1] += amount
        entry[2].append(what)
    return [tuple(entry) for entry in per_device.values()]


def writable_problem(directory):
    """A sentence saying why ``directory`` is not writable, or None (a missing one is created 0700)."""
    if not os.path.isdir(directory):
        try:
            makedirs_private(directory)
        except OSError as exc:
            return f"cannot create {directory} ({exc.strerror})"
    probe = None
    try:
        # An unpredictable name, created O_EXCL: never a file or link someone placed there.
        fd, probe = tempfile.mkstemp(prefix=".safe_migrate-write-test-", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(b"x")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        return f"{directory} is not writable ({exc.strerror})"
    finally:
        if probe:
            with suppress(OSError):
                os.unlink(probe)
    return None


def refuse_shared_folders(folders):
    """Refuse (3) a state or backup folder that others can write to: ``folders`` is
    [(directory, what)].  Anyone who can write there could swap a backup, plant a link or
    forge the journal."""
    for directory, what in folders:
        shared = shared_folder_problem(directory)
        if shared:
            raise Refused(
                f"The {what} {shared}, so anyone could replace a backup or forge the journal or the lock; "
                f"make it writable only by its owner (chmod go-w {directory}) and run again."
            )


def refuse_symlinked_state(paths):
    """Refuse (3) a journal or lock path that is a symbolic link (never followed): [(path, what)]."""
    for path, what in paths:
        if os.path.islink(path):
            raise Refused(
                f"The {what} {path} is a symbolic link, which safe_migrate never follows; move the link "
                f"away (keep its target if it is the real {what}) and run again."
            )
