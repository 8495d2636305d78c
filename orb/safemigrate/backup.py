"""Backups: naming, the sidecar beside each one, listing, verification and pruning.

A backup is written to ``<name>.partial``, fsynced, checksummed and verified; then its
sidecar ``<backup>.json`` (sha256, size, time, engine, the migration state it holds) is
written, and only then is the file renamed to its final name.  So a run killed at any
moment leaves either a complete backup with its sidecar, or files that are never offered
as backups (``.partial*``, a sidecar without its backup); the next run that takes the
lock removes those leftovers.
"""
import glob
import hashlib
import json
import os
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from .errors import MigrationFailed, Refused, UsageError
from .journal import now_iso

CHUNK = 4 * 1024 * 1024
PARTIAL = ".partial"


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            digest.update(chunk)
    return digest.hexdigest()


def write_json_atomic(path, data):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


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

    @property
    def sidecar(self):
        return self.path + ".json"

    def to_json(self):
        data = asdict(self)
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
        with open(sidecar) as handle:
            data = json.load(handle)
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except FileNotFoundError:
        return BackupInfo(path=path, verified=False, problem="no sidecar (checksum unknown)")
    except (OSError, ValueError, RecursionError) as exc:
        return BackupInfo(path=path, verified=False, problem=f"sidecar unreadable ({exc.__class__.__name__}: {exc})")
    known = {k: v for k, v in data.items() if k in SIDECAR_FIELDS and v is not None}
    for name, value in known.items():
        if not SIDECAR_FIELDS[name](value):
            return BackupInfo(path=path, verified=False,
                              problem=f"sidecar malformed (field {name!r} has the wrong shape)")
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
    "checksums": lambda v: isinstance(v, dict) and all(
        isinstance(k, str) and isinstance(c, str) for k, c in v.items()),
    "verified": lambda v: isinstance(v, bool),
}


def stamp_now():
    return datetime.now(timezone.utc).strftime("%Y%m%d_%H%M%S")


def next_backup_path(backend):
    directory = backend.backup_dir
    os.makedirs(directory, exist_ok=True)
    base = os.path.join(directory, backend.backup_basename(stamp_now()))
    path, n = base + backend.backup_suffix, 1
    while os.path.exists(path) or os.path.exists(path + PARTIAL) or os.path.exists(path + ".json"):
        n += 1
        path = f"{base}-{n}{backend.backup_suffix}"
    return path


def create_backup(backend, *, run_id, kind, applied, checksums, report):
    """Write, checksum and verify a backup; return its BackupInfo.  Raises MigrationFailed."""
    path = next_backup_path(backend)
    partial = path + PARTIAL
    try:
        backend.write_backup(partial, report=report)
        digest = sha256_file(partial)
        size = os.path.getsize(partial)
        info = BackupInfo(
            path=path,
            sha256=digest,
            size=size,
            created_at=now_iso(),
            engine=backend.engine,
            database=backend.label,
            kind=kind,
            run_id=run_id,
            applied=sorted(applied),
            checksums=checksums,
        )
        problems = backend.verify_backup_file(partial)
        if problems:
            raise MigrationFailed(
                f"The backup {path} did not verify ({problems[0]}); nothing was changed. "
                "Check the disk and run again."
            )
        # Sidecar first, then the final name: a backup file never exists without its sidecar.
        write_json_atomic(info.sidecar, info.to_json())
        os.replace(partial, path)
        fsync_path(os.path.dirname(path))
        return info
    except (OSError, sqlite3.Error) as exc:
        _remove_attempt(path)
        reason = getattr(exc, "strerror", None) or str(exc)
        raise MigrationFailed(
            f"Could not write the backup {path} ({reason}); the partial file was "
            "removed and nothing was changed. Free disk space or choose --backup-dir and run again."
        ) from exc
    except BaseException:
        _remove_attempt(path)
        raise


def _remove_attempt(path):
    """Remove every file of an unfinished backup attempt at ``path``."""
    for leftover in [path, path + ".json", *glob.glob(glob.escape(path + PARTIAL) + "*"),
                     *glob.glob(glob.escape(path + ".json.tmp-") + "*")]:
        try:
            os.unlink(leftover)
        except OSError:
            pass


def fsync_path(path):
    """fsync a file, or a directory (so a rename in it is durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_leftover(name):
    """True for files of an unfinished backup: ``.partial`` (and SQLite's ``.partial-journal``),
    a sidecar's temporary file."""
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
        orphan_sidecar = name.endswith(".json") and not os.path.exists(path[: -len(".json")])
        if is_leftover(name) or orphan_sidecar:
            try:
                os.unlink(path)
            except OSError:
                continue
            removed.append(path)
            report.note(f"Removed an unfinished backup file left by an interrupted run: {path}")
    return removed


def byte_copy(backend, *, run_id):
    """Keep the bytes of a damaged (or missing) database as they are; marked unverified."""
    import shutil

    path = next_backup_path(backend)
    partial = path + PARTIAL
    info = BackupInfo(path=path, created_at=now_iso(), engine=backend.engine, database=backend.label,
                      kind="safety", run_id=run_id, verified=False)
    try:
        if backend.exists():
            shutil.copyfile(backend.label, partial)
            # Commits still in the write-ahead log belong to the current state: keep them beside it.
            if os.path.exists(backend.label + "-wal"):
                shutil.copyfile(backend.label + "-wal", path + "-wal")
        else:
            open(partial, "wb").close()
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


def verify_backup(backend, info):
    """A sentence saying why ``info`` cannot be restored from, or None when it is sound."""
    if info.problem:
        return info.problem
    if not os.path.exists(info.path):
        return "the file is missing"
    size = os.path.getsize(info.path)
    if info.size is not None and size != info.size:
        return f"its size is {size} bytes, the sidecar says {info.size} (truncated or replaced)"
    if sha256_file(info.path) != info.sha256:
        return "its bytes no longer match the sha256 recorded when it was taken"
    problems = backend.verify_backup_file(info.path)
    if problems:
        return f"its integrity check failed ({problems[0]})"
    return None


def known_backups(backend, journal_records):
    """Every backup of this database, newest first: the backup dir plus paths in the journal."""
    paths = set()
    pattern = os.path.join(glob.escape(backend.backup_dir), backend.backup_basename("") + "*")
    for path in glob.glob(pattern):
        # Sidecars, leftovers of a killed run, and SQLite's own companions of a file that was
        # opened (-wal, -shm, -journal) are not backups.
        if path.endswith((".json", "-wal", "-shm", "-journal")) or is_leftover(os.path.basename(path)):
            continue
        paths.add(os.path.abspath(path))
    for record in journal_records:
        for key in ("backup", "safety_backup"):
            entry = record.get(key)
            if isinstance(entry, dict) and entry.get("path") and os.path.exists(entry["path"]):
                paths.add(os.path.abspath(entry["path"]))
    infos = [read_sidecar(path) for path in paths]
    infos.sort(key=lambda i: (i.created_at or "", i.path), reverse=True)
    return infos


def find_backup(backend, name, journal_records):
    """Resolve a --restore argument (a path, or a name in the backup directory)."""
    candidates = [name, os.path.join(backend.backup_dir, name)]
    for candidate in candidates:
        if os.path.isfile(candidate):
            if candidate.endswith(".json"):
                raise UsageError(f"{name} is a sidecar; name the backup file beside it instead.")
            return read_sidecar(os.path.abspath(candidate))
    raise UsageError(
        f"No backup file {name!r} (looked in the current directory and {backend.backup_dir}); "
        "see `manage.py safe_migrate --list-backups` for the backups there are."
    )


def delete_backup(info):
    for path in (info.path, info.sidecar, info.path + "-wal", info.path + "-shm"):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def require_backups(infos):
    if not infos:
        raise Refused("There is no backup to restore from; nothing was changed.")
