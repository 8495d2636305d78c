"""migrations.lock: the sha256 of every released migration file of this project's apps.

One line per file, ``<sha256>  <path relative to the project>`` (the format of ``sha256sum``, so
``sha256sum -c migrations.lock`` verifies it by hand too); lines starting with ``#`` are comments.
``check_migrations`` reports a released file that changed (ORB108), and safe_migrate's drift check
refuses an applied migration whose file differs from its released checksum even on a database whose
journal never saw it.  ``manage.py check_migrations --write-lock`` (``make release``) adds the
migrations that are not in it yet and never overwrites the checksum of a released one.

The file is settings.BASE_DIR / "migrations.lock", or settings.ORB_MIGRATIONS_LOCK when set.
This module reads files only: it imports nothing of the engine, so the engine may import it.
"""

import hashlib
import os
from pathlib import Path

from django.conf import settings

HEADER = (
    "# Released migrations: sha256 of each file (sha256sum format). Written by\n"
    "# `manage.py check_migrations --write-lock` (make release); never edit a released line.\n"
)


class LockFileError(Exception):
    """The lock file cannot be read; the message is one sentence naming the file and line."""


def lock_path():
    return Path(getattr(settings, "ORB_MIGRATIONS_LOCK", None) or Path(settings.BASE_DIR) / "migrations.lock")


def relative_path(path):
    """``path`` relative to the project, with forward slashes (the key of a lock line)."""
    base = os.path.realpath(settings.BASE_DIR)
    return Path(os.path.relpath(os.path.realpath(path), base)).as_posix()


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def read_lock(path=None):
    """{relative path: sha256} of the released migrations ({} when there is no lock file)."""
    path = Path(path or lock_path())
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise LockFileError(f"Cannot read {path} ({exc.strerror}); fix its permissions.") from None
    entries = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        checksum, _, name = line.partition("  ")
        if len(checksum) != 64 or not name.strip() or any(c not in "0123456789abcdef" for c in checksum):
            raise LockFileError(
                f"{path} line {number} is not '<sha256>  <path>'; restore the file from version control."
            )
        entries[name.strip()] = checksum
    return entries


def released_checksum(migration_path, *, lock=None):
    """The released sha256 of the migration file at ``migration_path``, or None when unreleased."""
    lock = read_lock() if lock is None else lock
    return lock.get(relative_path(migration_path))


def write_lock(entries, path=None):
    """Write {relative path: sha256} sorted by path, atomically (a new file renamed over the old)."""
    path = Path(path or lock_path())
    lines = [f"{checksum}  {name}\n" for name, checksum in sorted(entries.items())]
    temporary = path.with_name(path.name + ".new")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(HEADER + "".join(lines))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
