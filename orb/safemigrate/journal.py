"""The journal: one JSON line per run, appended and fsynced, stored outside the database.

A line cut short by a kill is skipped when reading (and reported as a note), so a
torn write never hides the records before it.
"""
import getpass
import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def who():
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in a container, for example
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def new_run_id():
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


@dataclass
class JournalRead:
    records: list = field(default_factory=list)
    problems: list = field(default_factory=list)


class Journal:
    def __init__(self, path):
        self.path = str(path)

    def append(self, record):
        line = json.dumps(record, sort_keys=True, default=str) + "\n"
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            # A previous writer killed mid-line leaves no newline at the end; start afresh.
            if os.fstat(fd).st_size and not self._ends_with_newline():
                line = "\n" + line
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def _ends_with_newline(self):
        with open(self.path, "rb") as handle:
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == b"\n"

    def read(self):
        result = JournalRead()
        if not os.path.exists(self.path):
            return result
        with open(self.path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                raw = raw.strip()
                if not raw:
                    continue
                try:
                    record = json.loads(raw)
                    if not isinstance(record, dict) or "id" not in record:
                        raise ValueError("not a run record")
                except (ValueError, UnicodeDecodeError):
                    result.problems.append(
                        f"{self.path} line {number} is not a complete run record and was skipped "
                        "(a run killed while writing it leaves such a line)."
                    )
                    continue
                result.records.append(record)
        return result

    def records(self):
        return self.read().records

    def latest_checksums(self):
        return recorded_checksums(self.records())


def recorded_checksums(records):
    """The migration-file checksums recorded by the newest run that recorded them."""
    for record in reversed(records):
        if record.get("checksums") is not None and record.get("outcome") in ("applied", "nothing-to-do"):
            return record["checksums"]
    return {}
