"""The interface every backend implements.

A backend knows where its database lives, how to copy, back up, restore and verify
it, how to point the Django connection at a rehearsal copy, and how to lock.
Everything else (plans, checks, journal) is engine-neutral and lives one level up.
"""
import os
import tempfile
from contextlib import contextmanager

from django.conf import settings

from ..errors import Refused
from ..journal import makedirs_private, shared_folder_problem


class Backend:
    engine = "?"
    backup_suffix = ""

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

    # --- connection modes ------------------------------------------------------------
    @contextmanager
    def read_only(self):
        """Point the connection at the database without any chance of writing or creating it."""
        yield

    @contextmanager
    def pointed_at(self, target):
        """Point the Django connection at another database (a rehearsal copy)."""
        raise NotImplementedError

    # --- work ------------------------------------------------------------------------
    def quick_check(self):
        """Problems found by a fast integrity check of the live database ([] when fine)."""
        return []

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

    def foreign_key_problems(self):
        """Foreign keys of the committed database that point nowhere ([] when fine)."""
        return []

    def check_writable(self):
        """Refuse (raise) when a directory the run writes to is not writable."""

    def disk_full_hint(self):
        """A few words when the disk holding the database is (nearly) full, else None; added to
        the message of a failed plan, whose own error may not say so."""
        return None

    def run_lock(self):
        raise NotImplementedError

    def maintenance_active(self):
        raise NotImplementedError

    def begin_apply(self):
        """Prepare the connection for one all-or-nothing transaction; return a cleanup callable."""
        return lambda: None


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
            try:
                os.unlink(probe)
            except OSError:
                pass
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
