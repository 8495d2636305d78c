"""Files safe_migrate writes: private (0600 in folders created 0700, never through a
symbolic link, never under a predictable temporary name), durable (fsync of files and of
the folders holding a rename), and their sha256.  Backups hold the whole record, password
hashes and live session keys; the journal and the lock decide what is restored.
"""

import errno
import hashlib
import os
import stat
from contextlib import contextmanager

CHUNK = 4 * 1024 * 1024

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def makedirs_private(directory):
    """Create ``directory`` (and missing parents) as 0700; an existing folder is left as it is."""
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(directory, PRIVATE_DIR)


def shared_folder_problem(directory):
    """A phrase saying why others could change files in ``directory``, or None when only its
    owner can (group- or world-writable folders let anyone swap a backup or plant a link)."""
    try:
        info = os.stat(directory)
    except FileNotFoundError:
        return None
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        who = "everyone" if info.st_mode & stat.S_IWOTH else "its group"
        return f"{directory} is writable by others ({who}; mode {stat.S_IMODE(info.st_mode):o})"
    return None


def open_private(path, flags):
    """``os.open`` that never follows a symbolic link and creates the file 0600; an existing file
    of ours is made 0600.  A symbolic link raises OSError(ELOOP)."""
    fd = os.open(path, flags | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), PRIVATE_FILE)
    try:
        info = os.fstat(fd)
        if (
            stat.S_IMODE(info.st_mode) != PRIVATE_FILE
            and info.st_uid == os.geteuid()
            and flags & (os.O_WRONLY | os.O_RDWR)
        ):
            os.fchmod(fd, PRIVATE_FILE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def is_symlink_error(exc):
    return isinstance(exc, OSError) and exc.errno == errno.ELOOP


@contextmanager
def private_umask():
    """Files created inside are never readable by group or others, not even for an instant
    (database libraries and dump tools create their own companions: -journal files, dumps)."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def fsync_path(path):
    """fsync a file, or a directory (so a rename in it is durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            digest.update(chunk)
    return digest.hexdigest()
