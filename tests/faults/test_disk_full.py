"""3. Disk full: the database on a size-limited tmpfs mounted by the test (root only).

- Too little room for the backup + the journal growth of the rebuilt table + the rehearsal
  copy: refused up front (exit 3), saying how much is needed and how much is available.
- The disk fills up while the backup is being written, or while the migration is being
  applied (the run is paused with SIGSTOP at that stage, a filler file takes every free
  byte, the run continues): exit 1, the database is exactly as it was, and no partial
  backup is left that could pass for a backup (no backup file without its sidecar, and
  ``--list-backups`` lists none).  Once space is freed the next run completes.
"""

import json
import os
import signal
import threading
import time

import pytest

from tests.e2e import dbfacts

from .helpers import (
    BIG_SCENARIO,
    BIG_TABLE,
    all_hashes,
    assert_exit,
    build_big_template,
    copy_project,
    db_files_digest,
    env_int,
    integrity,
    leftovers,
    state_of,
)

pytestmark = pytest.mark.faults


@pytest.fixture(scope="session")
def disk_template(tmp_path_factory):
    return build_big_template(tmp_path_factory.mktemp("disk-template"), env_int("ORB_FAULTS_DISK_MB", 30))


MB = 1024 * 1024


def preflight_needs(template):
    """(bytes the disk preflight asks for without a rehearsal, extra bytes with one): the
    backup + 3 x the rebuilt table (WAL and file growth), + the copy and its growth."""
    size = os.path.getsize(template)
    table = dbfacts.rows(template, "SELECT SUM(pgsize) FROM dbstat WHERE name = ?", (BIG_TABLE,))[0][0]
    return 1.05 * (size + 3 * table) + MB, 1.05 * (size + table)


def disk_size_mb(template, free_bytes):
    """A disk holding the database and then ``free_bytes`` more (in whole MB)."""
    return int((os.path.getsize(template) + free_bytes) / MB) + 2


def fill(directory):
    """Take every free byte of the filesystem holding ``directory``; return the filler's path."""
    path = os.path.join(directory, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for chunk in (1 << 20, 4096, 1):
            block = b"\0" * chunk
            while True:
                try:
                    os.write(fd, block)
                except OSError:
                    break
    finally:
        os.close(fd)
    return path


class Output:
    """Collects a process's stdout character by character (stage lines end without a newline)."""

    def __init__(self, stream):
        self.text = ""
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        while True:
            char = stream.read(1)
            if not char:
                return
            self.text += char


def pause_when(process, condition, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            os.killpg(process.pid, signal.SIGSTOP)
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.0005)
    return False


def test_too_little_space_for_backup_and_rehearsal_is_refused_up_front(disk_template, small_disk):
    # Room for the backup and the rebuilt table's WAL/file growth, not for a rehearsal copy too.
    plain, rehearsal = preflight_needs(disk_template)
    disk = small_disk(disk_size_mb(disk_template, plain + rehearsal / 2))
    project = copy_project(disk_template, disk)
    before = db_files_digest(project.db)

    result = project.run("safe_migrate", "--noinput", "--rehearse", "--json")
    assert_exit(result, 3)
    report = json.loads(result.stdout)
    assert report["needed"] > report["available"]
    assert "Not enough free disk" in report["error"] and "needed" in report["error"]
    assert "available" in report["error"] and "rehearsal copy" in report["error"]
    assert result.stderr.strip().splitlines()[-1].startswith("Database unchanged")
    assert db_files_digest(project.db) == before
    assert not [n for n in os.listdir(disk) if ".backup-" in n or ".rehearsal-" in n]

    # Without the rehearsal the same disk is big enough.
    result = project.run("safe_migrate", "--noinput")
    assert_exit(result, 0)
    assert "scenario.0002_alter_ticket_engineer_name" in project.applied()


def journal_records(db):
    """The journal's complete records (a line cut short by the full disk is skipped, as safe_migrate does)."""
    records = []
    with open(db + ".safe_migrate.journal.jsonl") as handle:
        for line in handle:
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


@pytest.mark.parametrize("moment", ["backup", "apply"])
def test_disk_filling_up_mid_run_changes_nothing(disk_template, small_disk, moment):
    # Room for one run, and for the run after it next to the backup the first one kept (plus a few
    # MB for the journal and what the failed transaction leaves in the -wal until a checkpoint).
    disk = small_disk(
        disk_size_mb(disk_template, preflight_needs(disk_template)[0] + os.path.getsize(disk_template) + 4 * MB)
    )
    project = copy_project(disk_template, disk)
    old_state, old_rows = state_of(project.db), all_hashes(project.db)

    run = project.popen("safe_migrate", "--noinput", PYTHONUNBUFFERED="1", ORB_SCENARIO=BIG_SCENARIO)
    output = Output(run.stdout)
    if moment == "backup":

        def reached():
            return "Backing up the database" in output.text
    else:

        def reached():
            return "Applying 1 migration(s)" in output.text

    paused = pause_when(run, reached)
    assert paused, f"the run never reached the {moment} stage:\n{output.text}"
    try:
        filler = fill(disk)
    finally:
        os.killpg(run.pid, signal.SIGCONT)
    err = run.stderr.read()
    run.wait(timeout=300)
    output.thread.join(timeout=10)
    stdout = output.text
    assert run.returncode == 1, f"exit {run.returncode}\n{stdout}\n{err}"
    assert "Traceback" not in stdout + err and "unexpected error" not in stdout + err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("Database unchanged"), last
    if moment == "backup":
        assert "Could not write the backup" in err

    assert integrity(project.db) == ["ok"]
    assert state_of(project.db) == old_state
    assert all_hashes(project.db) == old_rows
    assert leftovers(disk) == []
    listing = project.run("safe_migrate", "--list-backups", "--json")
    assert_exit(listing, 0)
    listed = json.loads(listing.stdout)
    if moment == "backup":
        assert not [n for n in os.listdir(disk) if ".backup-" in n]
        assert listed == []
    else:
        # The backup was complete before the disk filled up. Whether the run's journal record
        # still fitted depends on what the failed transaction freed: a backup counts exactly when
        # the journal recorded it (then it is verified); otherwise it is kept and listed as not
        # counted, with the reason, and prune never deletes it.
        assert "disk holding" in err and "is full" in err
        [entry] = listed
        assert os.path.exists(entry["path"])
        journaled = [r for r in journal_records(project.db) if (r.get("backup") or {}).get("path") == entry["path"]]
        if journaled:
            assert entry["counted"] is True and entry["verified"] and entry["problem"] is None, entry
            assert journaled[-1]["outcome"] == "failed"
        else:
            assert entry["counted"] is False and "journal" in entry["problem"], entry

    # Space is freed: the next run completes.
    os.unlink(filler)
    again = project.run("safe_migrate", "--noinput")
    assert_exit(again, 0)
    assert "scenario.0002_alter_ticket_engineer_name" in project.applied()
    assert all_hashes(project.db) == old_rows
