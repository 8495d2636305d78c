"""The off-ship copy (``manage.py export_backup DIR``): the newest verified backup and its sidecar,
copied into a new folder under DIR (a USB stick, a share that syncs ashore) and verified there.

"Newest verified" is decided as ``--restore`` decides it: the journal's order, and the first
backup that counts and verifies (file, owner, journal sha256, size, the backend's integrity
check).  Each file is written under a temporary name, fsynced, and renamed; then the copy is
read back from DIR: its sha256 must be the journal's and the backend's check must pass on it,
so a failing stick is found now, not on the day the copy is needed.  Nothing here prints.
"""

import json
import os
from dataclasses import dataclass

from . import backup as backups
from .errors import MigrationFailed, Refused
from .files import CHUNK, PRIVATE_FILE, fsync_path, sha256_file

FOLDER_PREFIX = "orb-export-"


@dataclass
class OffShipCopy:
    folder: str  # the new folder under DIR
    backup: str  # the copy of the backup in it
    sidecar: str
    source: object  # the backup.BackupInfo copied


def newest_verified(backend, records):
    """The BackupInfo --restore would choose: newest by the journal, counted and verified."""
    for info in backups.known_backups(backend, records):
        if info.journaled and info.verified and backups.verify_backup(backend, info) is None:
            return info
    raise Refused(
        "There is no verified backup to export; take one with `manage.py backup_orb` and run again.",
        state="Database unchanged; nothing was exported.",
    )


def new_folder(parent):
    """``<parent>/orb-export-YYYYMMDD_HHMMSS`` (``-2``… within the same second), created here."""
    base = os.path.join(parent, FOLDER_PREFIX + backups.stamp_now())
    folder, n = base, 1
    while True:
        try:
            os.mkdir(folder, 0o700)
            return folder
        except FileExistsError:
            n += 1
            folder = f"{base}-{n}"


def copy_file(source, dest, *, report, label):
    """Copy ``source`` to ``dest`` through ``<dest>.partial`` (0600, fsynced, then renamed)."""
    partial = dest + ".partial"
    total = os.path.getsize(source) or 1
    done = 0
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
    try:
        with open(source, "rb") as src, os.fdopen(fd, "wb") as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)
                done += len(chunk)
                report.percent(done, total, label=label)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, dest)
    except BaseException:
        if os.path.lexists(partial):
            os.unlink(partial)
        raise
    report.percent(total, total, label=label)


def copy_newest(backend, records, directory, *, report):
    """Copy the newest verified backup and its sidecar into a new folder under ``directory`` and
    verify the copy there; an OffShipCopy.  Raises Refused (nothing to copy) or MigrationFailed."""
    info = newest_verified(backend, records)
    folder = new_folder(directory)
    copy = OffShipCopy(
        folder=folder,
        backup=os.path.join(folder, os.path.basename(info.path)),
        sidecar=os.path.join(folder, os.path.basename(info.sidecar)),
        source=info,
    )
    try:
        copy_file(info.path, copy.backup, report=report, label="Copying the backup")
        copy_file(info.sidecar, copy.sidecar, report=report, label="Copying its sidecar")
        fsync_path(folder)
    except OSError as exc:
        raise MigrationFailed(
            f"Could not write the copy in {folder} ({exc.strerror or exc}); check that the folder is "
            "writable and has room for the backup, and run again.",
            state="Database unchanged; the copy is incomplete.",
        ) from exc
    problem = copy_problem(backend, copy)
    if problem:
        raise MigrationFailed(
            f"The copy {copy.backup} does not verify: {problem}; the stick or share may be failing. "
            "Use another one and run again.",
            state="Database unchanged; the copy cannot be trusted.",
        )
    return copy


def copy_problem(backend, copy):
    """Why the copy, read back from its folder, differs from what the journal recorded (or None)."""
    if sha256_file(copy.backup) != copy.source.sha256:
        return "its sha256 differs from the one the journal recorded"
    problems = backend.verify_backup_file(copy.backup)
    if problems:
        return f"its integrity check failed ({problems[0]})"
    try:
        with open(copy.sidecar) as handle:
            sidecar = json.load(handle)
    except (OSError, ValueError) as exc:
        return f"its sidecar cannot be read back ({exc})"
    if not isinstance(sidecar, dict) or sidecar.get("sha256") != copy.source.sha256:
        return "its sidecar does not name the backup's sha256"
    return None
