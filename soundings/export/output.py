"""Writing an export file: all of it or nothing.

The bytes are written to a temporary file in the same folder and renamed over the target only
when complete, so a failure (a full disk, an interrupted run) never leaves a partial file under
the name asked for, and an older file of that name stays as it was until the new one is whole.
"""

import contextlib
import os
import tempfile
from pathlib import Path


class OutputError(OSError):
    """The output file cannot be written, in one sentence that says what to do."""


def check_writable(path):
    """Refuse early (before the book is read) a place that cannot take the file."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputError(f"The output {path} is a folder; give a file name, e.g. {path / 'orb.pdf'}.")
    if not folder.is_dir():
        raise OutputError(f"The folder {folder} does not exist; create it or choose another --output.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"The folder {folder} is not writable; choose another --output.")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"The file {path} exists and is not writable; choose another --output.")


def write_atomically(path, data):
    """Write ``data`` (bytes) to ``path``: complete, or not at all."""
    path = Path(path)
    check_writable(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise OutputError(f"Could not write {path}: {exc.strerror or exc}; nothing was written.") from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
