"""The journal: one JSON line per run, appended and fsynced, stored outside the database.

A line cut short by a kill, or a line that is not a valid run record, is skipped when
reading (and reported as a warning by ``read_reporting``), so a torn write never hides the
records around it; the next append starts on a new line.

The journal is private (0600, in a folder created 0700) and is never opened through a
symbolic link (``files.open_private``).
"""

import getpass
import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .files import is_symlink_error, makedirs_private, open_private


def now_iso():
    return datetime.now(UTC).isoformat(timespec="seconds")


def who():
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in a container, for example
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def new_run_id():
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


@dataclass
class JournalRead:
    records: list = field(default_factory=list)
    problems: list = field(default_factory=list)


class Journal:
    def __init__(self, path):
        self.path = str(path)

    def append(self, record):
        line = json.dumps(record, sort_keys=True, default=str) + "\n"
        makedirs_private(os.path.dirname(self.path))
        # O_RDWR (not O_WRONLY) so the last byte can be read back through the same descriptor.
        fd = open_private(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
        try:
            # A previous writer killed mid-line leaves no newline at the end; start afresh.
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = "\n" + line
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def symlink_problem(self):
        """A sentence when the journal's path is a symbolic link (never followed), else None."""
        if os.path.islink(self.path):
            return (
                f"The journal {self.path} is a symbolic link, which safe_migrate never follows; "
                "move it away (keep its target if it is the real journal) and run again."
            )
        return None

    def read(self):
        result = JournalRead()
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return result
        except OSError as exc:
            reason = (
                "it is a symbolic link, which is never followed" if is_symlink_error(exc) else exc.strerror or str(exc)
            )
            result.problems.append(f"The journal {self.path} was not read ({reason}).")
            return result
        with os.fdopen(fd, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                raw = raw.strip()
                if not raw:
                    continue
                try:
                    record = json.loads(raw)
                    if not isinstance(record, dict) or "id" not in record:
                        raise ValueError("not a run record")
                except (ValueError, UnicodeDecodeError, RecursionError):
                    result.problems.append(
                        f"{self.path} line {number} is not a complete run record and was skipped "
                        "(a run killed while writing it leaves such a line)."
                    )
                    continue
                problem = record_problem(record)
                if problem:
                    result.problems.append(
                        f"{self.path} line {number} is not a valid run record ({problem}) and was skipped."
                    )
                    continue
                result.records.append(record)
        return result

    def read_reporting(self, report):
        """The records, each damaged line reported as a warning through ``report``."""
        read = self.read()
        for problem in read.problems:
            report.warning(problem)
        return read.records

    def records(self):
        return self.read().records


def _is_str_list(value):
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_str_dict(value):
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _is_backup_entry(value):
    return (
        isinstance(value, dict)
        and isinstance(value.get("path"), str)
        and isinstance(value.get("sha256"), (str, type(None)))
    )


# Fields the engine reads back, and the shape each must have when present and not null.
RECORD_FIELDS = {
    "id": lambda v: isinstance(v, str),
    "mode": lambda v: isinstance(v, str),
    "outcome": lambda v: isinstance(v, str),
    "direction": lambda v: isinstance(v, str),
    "started_at": lambda v: isinstance(v, str),
    "finished_at": lambda v: isinstance(v, str),
    "rolls_back": lambda v: isinstance(v, str),
    "migrations": _is_str_list,
    "applied_before": _is_str_list,
    "applied_after": _is_str_list,
    "deleted": _is_str_list,
    "kept": _is_str_list,
    "checksums": _is_str_dict,
    "backup": _is_backup_entry,
    "safety_backup": _is_backup_entry,
}


def record_problem(record):
    """Why ``record`` cannot be a run record written by safe_migrate (a sentence), or None.

    Every field the engine reads back is checked, so a hand-edited or damaged line is
    skipped with a warning instead of stopping a run on a type error."""
    if not isinstance(record.get("id"), str):
        return "its id is not a string"
    for name, valid in RECORD_FIELDS.items():
        value = record.get(name)
        if value is not None and not valid(value):
            return f"field {name!r} has the wrong shape"
    return None


def recorded_checksums(records):
    """The migration-file checksums recorded by the newest run that recorded them."""
    for record in reversed(records):
        if record.get("checksums") is not None and record.get("outcome") in ("applied", "nothing-to-do"):
            return record["checksums"]
    return {}
