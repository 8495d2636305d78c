"""Backups: naming, the sidecar beside each one, listing, verification and pruning.

A backup is written to ``<name>.partial-XXXXXXXX`` (a private file with an unpredictable
name), fsynced, checksummed and verified; then its sidecar ``<backup>.json`` (sha256, size,
time, engine, the migration state it holds) is written, and only then is the file renamed
to its final name.  So a run killed at any moment leaves either a complete backup with its
sidecar, or files that are never offered as backups (``.partial*``, ``.tmp-*``, a sidecar
without its backup); the next run that takes the lock removes those leftovers.

What counts as a backup (restore, list, prune): a regular file (not a symlink), owned by
the user running safe_migrate, not writable by group or others, in a folder only its owner
can write to, whose sha256 equals the one the journal recorded when safe_migrate wrote it.
"Newest" is decided by the journal's order, never by a sidecar (anyone can write a sidecar).
Backups and sidecars are created 0600, in folders created 0700.
"""

import contextlib
import glob
import json
import os
import shutil
import stat
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from .background import BackgroundCheck
from .errors import MigrationFailed, Refused, UsageError
from .files import (
    CHUNK,
    PRIVATE_FILE,
    fsync_path,
    is_symlink_error,
    makedirs_private,
    open_private,
    private_umask,
    sha256_file,
    shared_folder_problem,
)
from .journal import now_iso

PARTIAL = ".partial"


def new_partial(path):
    """Create an empty private file with an unpredictable name beside ``path`` to write it into
    (``<name>.partial-XXXXXXXX``, 0600, O_EXCL: never a file or link someone placed there)."""
    fd, partial = tempfile.mkstemp(prefix=os.path.basename(path) + PARTIAL + "-", dir=os.path.dirname(path) or ".")
    os.close(fd)
    return partial


def write_json_atomic(path, data, *, reserved=None):
    """Write ``data`` to ``path`` through a private temporary file with an unpredictable name
    (``<path>.tmp-XXXXXXXX``, recognised as a leftover if a kill stops us before the rename).
    ``reserved``: such a file written earlier by ``reserve_json`` at least as long as ``data``
    needs; it is overwritten in place (padded with spaces), so this needs no new disk space."""
    text = json.dumps(data, indent=2, sort_keys=True).encode()  # ASCII: one byte a character
    tmp = reserved
    try:
        if reserved is not None and len(text) <= os.path.getsize(reserved):
            fd = os.open(reserved, os.O_WRONLY)
            text = text.ljust(os.path.getsize(reserved))  # JSON allows the trailing spaces
        else:
            _discard(reserved)
            fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".tmp-", dir=os.path.dirname(path) or ".")
        with os.fdopen(fd, "wb") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        _discard(tmp)
        raise


def reserve_json(path, data, *, slack=4096):
    """Write ``<path>.tmp-XXXXXXXX.json`` now, ``data`` padded by ``slack`` spaces and made durable,
    for ``write_json_atomic(path, …, reserved=)`` to fill in later: the disk space that write needs
    is taken while it is still there.  Returns the file's path.  Named as a leftover (``.tmp-``)
    that is also never taken for a backup (``.json``) while it waits beside the backup's copy."""
    fd, tmp = tempfile.mkstemp(
        prefix=os.path.basename(path) + ".tmp-", suffix=".json", dir=os.path.dirname(path) or "."
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(json.dumps(data, indent=2, sort_keys=True).encode() + b" " * slack)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _discard(tmp)
        raise
    return tmp


def _discard(path):
    if path is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)


@dataclass
class BackupInfo:
    path: str
    sha256: str | None = None
    size: int | None = None
    created_at: str | None = None
    engine: str | None = None
    database: str | None = None
    kind: str = "pre-migrate"
    run_id: str | None = None
    applied: list = field(default_factory=list)
    checksums: dict = field(default_factory=dict)
    verified: bool = True
    problem: str | None = None
    # Filled from the journal and the file itself (never from the sidecar):
    journaled: bool = False
    journal_index: int = -1
    untrusted: str | None = None

    @property
    def sidecar(self):
        return self.path + ".json"

    def to_json(self):
        data = asdict(self)
        for name in ("journaled", "journal_index", "untrusted"):
            data.pop(name)
        data["state"] = self.applied
        return data

    def state_summary(self):
        if self.problem:
            return self.problem
        if not self.applied:
            return "no migrations applied"
        return f"{len(self.applied)} migrations applied"


def read_sidecar(path):
    """BackupInfo for the backup at ``path`` from its sidecar; a problem is noted, never raised."""
    sidecar = path + ".json"
    try:
        with os.fdopen(os.open(sidecar, os.O_RDONLY | os.O_NOFOLLOW)) as handle:
            data = json.load(handle)
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except FileNotFoundError:
        return BackupInfo(path=path, verified=False, problem="no sidecar (checksum unknown)")
    except OSError as exc:
        if is_symlink_error(exc):
            return BackupInfo(path=path, verified=False, problem="its sidecar is a symbolic link (never followed)")
        return BackupInfo(path=path, verified=False, problem=f"sidecar unreadable ({exc.__class__.__name__}: {exc})")
    except (ValueError, RecursionError) as exc:
        return BackupInfo(path=path, verified=False, problem=f"sidecar unreadable ({exc.__class__.__name__}: {exc})")
    known = {k: v for k, v in data.items() if k in SIDECAR_FIELDS and v is not None}
    for name, value in known.items():
        if not SIDECAR_FIELDS[name](value):
            return BackupInfo(
                path=path, verified=False, problem=f"sidecar malformed (field {name!r} has the wrong shape)"
            )
    if not isinstance(known.get("sha256"), str):
        return BackupInfo(path=path, verified=False, problem="sidecar malformed (no sha256)")
    known.pop("path", None)
    return BackupInfo(path=path, **known)


def _is_str(value):
    return isinstance(value, str)


# What each sidecar field must look like (a hand-edited or damaged sidecar is reported,
# never trusted): name -> test.  "path" is ignored (the file's own location counts).
SIDECAR_FIELDS = {
    "path": lambda v: True,
    "sha256": _is_str,
    "size": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "created_at": _is_str,
    "engine": _is_str,
    "database": _is_str,
    "kind": _is_str,
    "run_id": _is_str,
    "applied": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "checksums": lambda v: isinstance(v, dict) and all(isinstance(k, str) and isinstance(c, str) for k, c in v.items()),
    "verified": lambda v: isinstance(v, bool),
}


def stamp_now():
    return datetime.now(UTC).strftime("%Y%m%d_%H%M%S")


def refuse_shared_folder(directory, *, what="backup folder"):
    """Refuse a folder that others can write to: they could swap a backup or plant a link."""
    shared = shared_folder_problem(directory)
    if shared:
        raise Refused(
            f"The {what} {shared}, so anyone could replace or plant a backup there; make it writable "
            f"only by its owner (chmod go-w {directory}) or choose another --backup-dir, and run again."
        )


def next_backup_path(backend):
    directory = backend.backup_dir
    makedirs_private(directory)
    base = os.path.join(directory, backend.backup_basename(stamp_now()))
    path, n = base + backend.backup_suffix, 1
    while os.path.lexists(path) or os.path.lexists(path + ".json") or glob.glob(glob.escape(path + PARTIAL) + "*"):
        n += 1
        path = f"{base}-{n}{backend.backup_suffix}"
    return path


def create_backup(backend, *, run_id, kind, applied, checksums, report):
    """Write, checksum and verify a backup; return its BackupInfo.  Raises MigrationFailed."""
    return start_backup(backend, run_id=run_id, kind=kind, applied=applied, checksums=checksums, report=report).keep()


def start_backup(backend, *, run_id, kind, applied, checksums, report):
    """Write the backup's copy and start reading it back (sha256 and the engine's check) in a
    second thread; return the PendingBackup whose ``keep()`` takes their verdict and keeps it.
    Raises MigrationFailed (the partial file removed) when the copy cannot be written."""
    refuse_shared_folder(backend.backup_dir)
    path = next_backup_path(backend)
    with _removed_on_failure(backend, path):
        partial = new_partial(path)
        with private_umask():
            backend.write_backup(partial, report=report)
        os.chmod(partial, PRIVATE_FILE)
        meta = {"engine": backend.engine, "database": backend.label, "kind": kind, "run_id": run_id}
        meta.update(applied=sorted(applied), checksums=checksums)
        # The sidecar's room is taken now: the plan that runs before the backup is kept may fill
        # the disk, and the backup must still be kept then (it is what restores the database).
        placeholder = BackupInfo(path=path, sha256="0" * 64, size=10**15, created_at=now_iso(), **meta)
        reserved = reserve_json(placeholder.sidecar, placeholder.to_json())
        return PendingBackup(backend, path=path, partial=partial, meta=meta, reserved=reserved)


class PendingBackup:
    """A backup copy written but not kept yet.  Its sha256 and integrity check read it in a
    second thread (``BackgroundCheck``) while the run goes on (an applying run: the rehearsal,
    the plan and the checks inside its transaction); ``keep()`` waits for their verdict and only
    then writes the sidecar and gives the copy its final name, so a backup that does not verify
    is never kept, and a run keeps its backup before it commits (DESIGN.md: no change without a
    verified backup).  ``discard()`` removes a copy the run will not keep."""

    def __init__(self, backend, *, path, partial, meta, reserved):
        self.path = path
        self._backend = backend
        self._partial = partial
        self._meta = meta
        self._reserved = reserved  # the sidecar's room (reserve_json)
        self._reading = BackgroundCheck(lambda: hash_and_verify(backend, partial))

    def keep(self):
        with _removed_on_failure(self._backend, self.path):
            (digest, problems), _ = self._reading.verdict()
            if problems:
                raise MigrationFailed(
                    f"The backup {self.path} did not verify ({problems[0]}); nothing was changed. "
                    "Check the disk and run again."
                )
            info = BackupInfo(
                path=self.path, sha256=digest, size=os.path.getsize(self._partial), created_at=now_iso(), **self._meta
            )
            # Sidecar first, then the final name: a backup file never exists without its sidecar.
            write_json_atomic(info.sidecar, info.to_json(), reserved=self._reserved)
            os.replace(self._partial, self.path)
            fsync_path(os.path.dirname(self.path))
            return info

    def verified(self):
        """True when the copy's read-back found it whole (waits for it; keeps nothing)."""
        try:
            (_, problems), _ = self._reading.verdict()
        except Exception:  # noqa: BLE001 - a copy that could not be read back proves nothing
            return False
        return not problems

    def discard(self):
        """Wait for the read-back to let go of the copy, then remove every file of it."""
        with contextlib.suppress(Exception):
            self._reading.verdict()
        _remove_attempt(self.path)


@contextlib.contextmanager
def _removed_on_failure(backend, path):
    """Whatever stops the writing or keeping of the backup at ``path`` removes its files; an
    error of the disk or of the database library becomes one sentence (MigrationFailed)."""
    try:
        yield
    except (OSError, *backend.backup_errors) as exc:
        _remove_attempt(path)
        reason = getattr(exc, "strerror", None) or str(exc)
        raise MigrationFailed(
            f"Could not write the backup {path} ({reason}); the partial file was "
            "removed and nothing was changed. Free disk space or choose --backup-dir and run again."
        ) from exc
    except BaseException:
        _remove_attempt(path)
        raise


def hash_and_verify(backend, path):
    """(sha256, integrity problems) of the closed file ``path``, both read side by side.

    The hash runs in a second thread while this one runs the engine's check (SQLite's
    quick_check, pg_restore --list): hashlib and SQLite both release the GIL while they work, so
    on two cores the pair costs about the longer of the two instead of their sum. Both read
    every byte of the same file as before; nothing is skipped.
    """
    digest = BackgroundCheck(lambda: sha256_file(path))
    problems = backend.verify_backup_file(path)
    return digest.verdict()[0], problems


def _remove_attempt(path):
    """Remove every file of an unfinished backup attempt at ``path``."""
    for leftover in [
        path,
        path + ".json",
        path + "-wal",
        *glob.glob(glob.escape(path + PARTIAL) + "*"),
        *glob.glob(glob.escape(path + ".json.tmp-") + "*"),
    ]:
        with contextlib.suppress(OSError):
            os.unlink(leftover)


def is_leftover(name):
    """True for files of an unfinished backup: ``.partial-XXXXXXXX`` (and the database
    library's ``-journal`` beside it), a sidecar's temporary ``.tmp-XXXXXXXX``."""
    return PARTIAL in name or ".tmp-" in name


def remove_leftovers(backend, *, report):
    """Remove what runs killed mid-backup left in the backup directory: partial files and
    sidecars whose backup never got its final name.  Called with the run lock held, so no
    live run is writing them."""
    directory = backend.backup_dir
    if not os.path.isdir(directory):
        return []
    prefix = backend.backup_basename("")
    removed = []
    for name in sorted(os.listdir(directory)):
        if not name.startswith(prefix):
            continue
        path = os.path.join(directory, name)
        orphan_sidecar = name.endswith(".json") and not os.path.lexists(path[: -len(".json")])
        if is_leftover(name) or orphan_sidecar:
            try:
                os.unlink(path)
            except OSError:
                continue
            removed.append(path)
            report.note(f"Removed an unfinished backup file left by an interrupted run: {path}")
    return removed


def _copy_private(source, dest, *, exclusive):
    """Copy the bytes of ``source`` into ``dest`` (0600, never through a symbolic link)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    with open(source, "rb") as src, os.fdopen(open_private(dest, flags), "wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK)
        dst.flush()
        os.fsync(dst.fileno())


def byte_copy(backend, *, run_id):
    """Keep the bytes of a damaged (or missing) database as they are; marked unverified."""
    refuse_shared_folder(backend.backup_dir)
    path = next_backup_path(backend)
    info = BackupInfo(
        path=path,
        created_at=now_iso(),
        engine=backend.engine,
        database=backend.label,
        kind="safety",
        run_id=run_id,
        verified=False,
    )
    try:
        partial = new_partial(path)
        for source, suffix in backend.raw_files() if backend.exists() else []:
            # The database itself into the partial file; its companions (e.g. a write-ahead log
            # holding commits of the current state) beside the final name.
            if suffix:
                _copy_private(source, path + suffix, exclusive=True)
            else:
                _copy_private(source, partial, exclusive=False)
        info.sha256 = sha256_file(partial)
        info.size = os.path.getsize(partial)
        write_json_atomic(info.sidecar, info.to_json())
        os.replace(partial, path)
    except OSError as exc:
        _remove_attempt(path)
        raise MigrationFailed(
            f"Could not write the safety copy {path} ({exc.strerror or exc}); nothing was changed. "
            "Free disk space or choose --backup-dir and run again."
        ) from exc
    return info


# --- what counts as a backup --------------------------------------------------------------
def journal_backups(records):
    """{path: {"sha256", "index", "run_id"}} of every file safe_migrate wrote, per the journal.

    A run's ``backup`` is the file it wrote, except in a restore, whose ``backup`` is the
    file it restored *from* (which may be a --foreign file): only its ``safety_backup`` was
    written by it.  A later record of the same path wins."""
    entries = {}
    for index, record in enumerate(records):
        keys = ("safety_backup",) if record.get("mode") == "restore" else ("backup", "safety_backup")
        for key in keys:
            entry = record.get(key)
            if isinstance(entry, dict) and isinstance(entry.get("path"), str) and isinstance(entry.get("sha256"), str):
                entries[os.path.abspath(entry["path"])] = {
                    "sha256": entry["sha256"],
                    "index": index,
                    "run_id": record.get("id"),
                }
    return entries


def file_problem(path):
    """Why the file at ``path`` could not be trusted whatever its bytes (a phrase), or None:
    it must be a regular file (lstat: a symbolic link is never followed) owned by this user,
    not writable by group or others, in a folder only its owner can write to."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "the file is missing"
    except OSError as exc:
        return f"it cannot be examined ({exc.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link, not a file safe_migrate wrote"
    if not stat.S_ISREG(info.st_mode):
        return "it is not a regular file"
    if info.st_uid != os.geteuid():
        return f"it is owned by uid {info.st_uid}, not by the user running safe_migrate (uid {os.geteuid()})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"it is writable by group or others (mode {stat.S_IMODE(info.st_mode):o})"
    shared = shared_folder_problem(os.path.dirname(path))
    if shared:
        return f"its folder {shared}"
    return None


def trust_problem(path, entry, *, hash_file=True):
    """Why ``path`` does not count as a backup (a phrase), or None.  ``entry`` is its
    ``journal_backups`` entry (None: the journal has no record of safe_migrate writing it)."""
    problem = file_problem(path)
    if problem:
        return problem
    if entry is None:
        return "the journal has no record of safe_migrate writing it"
    if hash_file and sha256_file(path) != entry["sha256"]:
        return "its bytes no longer match the sha256 recorded when it was taken"
    return None


def describe(path, entries):
    """BackupInfo of ``path``: the sidecar for what it holds, the journal and the file itself
    for whether it counts (its sha256 is the journal's, never the sidecar's)."""
    path = os.path.abspath(path)
    info = read_sidecar(path)
    entry = entries.get(path)
    if entry is not None:
        info.journaled = True
        info.journal_index = entry["index"]
        info.sha256 = entry["sha256"]
        info.run_id = info.run_id or entry["run_id"]
    info.untrusted = trust_problem(path, entry, hash_file=False)
    return info


def count_problem(info, *, hash_file=True):
    """Why ``info`` does not count as a backup (file, journal, sidecar, size, bytes), or None."""
    if info.untrusted:
        return info.untrusted
    if info.problem:
        return info.problem
    if not hash_file:
        return None
    size = os.path.getsize(info.path)
    if info.size is not None and size != info.size:
        return f"its size is {size} bytes, the sidecar says {info.size} (truncated or replaced)"
    if sha256_file(info.path) != info.sha256:
        return "its bytes no longer match the sha256 recorded when it was taken"
    return None


def verify_backup(backend, info):
    """A phrase saying why ``info`` cannot be restored from, or None when it is sound."""
    problem = count_problem(info)
    if problem:
        return problem
    problems = backend.verify_backup_file(info.path)
    if problems:
        return f"its integrity check failed ({problems[0]})"
    return None


def known_backups(backend, journal_records):
    """Every backup of this database and every file named like one: first those the journal
    says safe_migrate wrote, newest first by the journal's order; then the other files in the
    backup folder (which never count), by name."""
    entries = journal_backups(journal_records)
    paths = {path for path in entries if os.path.lexists(path)}
    pattern = os.path.join(glob.escape(backend.backup_dir), backend.backup_basename("") + "*")
    for path in glob.glob(pattern):  # dangling symbolic links included
        # Sidecars, leftovers of a killed run, and the database library's companions of a file that was
        # opened (-wal, -shm, -journal) are not backups.
        if path.endswith((".json", "-wal", "-shm", "-journal")) or is_leftover(os.path.basename(path)):
            continue
        paths.add(os.path.abspath(path))
    infos = [describe(path, entries) for path in paths]
    infos.sort(key=lambda i: (i.journaled, i.journal_index, i.path), reverse=True)
    return infos


def find_backup(backend, name, journal_records):
    """Resolve a --restore argument (a path, or a name in the backup directory)."""
    candidates = [name, os.path.join(backend.backup_dir, name)]
    for candidate in candidates:
        if os.path.lexists(candidate) and not os.path.isdir(candidate):
            if candidate.endswith(".json"):
                raise UsageError(f"{name} is a sidecar; name the backup file beside it instead.")
            return describe(candidate, journal_backups(journal_records))
    raise UsageError(
        f"No backup file {name!r} (looked in the current directory and {backend.backup_dir}); "
        "see `manage.py safe_migrate --list-backups` for the backups there are."
    )


def adopt_interrupted(backend, run_id):
    """Journal entries for the backups a killed run finished but never journaled.

    The next run that takes over the dead run's lock calls this: a complete backup (final name,
    sidecar naming ``run_id``) that passes the file checks and whose bytes match its sidecar is
    recorded in the "interrupted" record, so it counts.  Returns {"backup"|"safety_backup": entry}."""
    adopted = {}
    directory = backend.backup_dir
    if not run_id or not os.path.isdir(directory):
        return adopted
    for path in sorted(glob.glob(os.path.join(glob.escape(directory), backend.backup_basename("") + "*"))):
        name = os.path.basename(path)
        if name.endswith((".json", "-wal", "-shm", "-journal")) or is_leftover(name):
            continue
        info = read_sidecar(path)
        if info.problem or info.run_id != run_id or file_problem(path):
            continue
        try:
            if sha256_file(path) != info.sha256:
                continue
        except OSError:
            continue
        key = "safety_backup" if info.kind == "safety" else "backup"
        adopted[key] = {"path": os.path.abspath(path), "sha256": info.sha256, "adopted": True}
    return adopted


def delete_backup(info):
    for path in (info.path, info.sidecar, info.path + "-wal", info.path + "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def require_backups(infos):
    if not infos:
        raise Refused("There is no backup to restore from; nothing was changed.")
