"""Released migrations (ORB108): a file whose sha256 differs from migrations.lock, or a released
file that is gone; and the new lock that ``--write-lock`` (``make release``) writes."""

from .findings import Finding
from .lockfile import file_sha256, read_lock, relative_path, write_lock


def current_checksums(files):
    """{relative path: sha256} of ``files`` ({"app.name": path})."""
    return {relative_path(path): file_sha256(path) for path in files.values()}


def edited(files, *, folders, lock=None):
    """ORB108 findings for ``files`` ({"app.name": path}) of the apps whose migration ``folders``
    (relative paths) are given."""
    lock = read_lock() if lock is None else lock
    findings = []
    by_path = {relative_path(path): name for name, path in files.items()}
    for path, checksum in sorted(lock.items()):
        name = by_path.get(path)
        if name is None:
            if any(path.startswith(folder + "/") for folder in folders):
                findings.append(Finding("ORB108", path, "", "the released migration file is missing"))
            continue
        if file_sha256(files[name]) != checksum:
            findings.append(
                Finding("ORB108", name, "", f"{path} changed since it was released (sha256 differs from the lock)")
            )
    return findings


def updated_lock(files, *, folders):
    """Write the lock with every file of ``files`` added; returns (added paths, ORB108 findings).
    Nothing is written while a released file is edited or missing."""
    lock = read_lock()
    problems = edited(files, folders=folders, lock=lock)
    if problems:
        return [], problems
    current = current_checksums(files)
    added = sorted(path for path in current if path not in lock)
    if added:
        write_lock({**lock, **current})
    return added, []
