"""2. A concurrent writer: every insert whose COMMIT returned is in the database afterwards.

Another process inserts tickets (into the very table the migration rebuilds) and readings
in a loop, with its own connections and a busy timeout, for the whole of a run on a
~40 MB database (ORB_FAULTS_WRITER_MB).  The run holds the migration at a gate file
(``steps.gate`` in the big_rebuild scenario), so the test knows the writer wrote while the
run was under way, and never loses a committed write:

- one transaction: at the gate the run holds the apply transaction; writes committed after
  the backup was taken and before the migration started are in the database and not in the
  backup (a run that migrated a copy, or put the backup back, would lose exactly those), and
  the writer, made to wait by the apply transaction, goes on after it;
- rehearse first: the gate is on the rehearsal copy; the test lets the writer commit to the
  real database while the migration runs on the copy (a run that promoted the copy would lose
  those), then releases it.

The run must apply (exit 0): another writer is warned about, never a reason to refuse or fail.
"""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e import dbfacts
from tests.e2e.conftest import Gate, finish

from .helpers import BIG_TABLE, assert_exit, copy_project, integrity

pytestmark = pytest.mark.faults

WRITER = Path(__file__).with_name("writer.py")
MIGRATION = "scenario.0002_alter_ticket_engineer_name"


def committed_markers(db):
    return {
        name
        for (name,) in dbfacts.rows(
            db, f"SELECT engineer_name FROM \"{BIG_TABLE}\" WHERE engineer_name LIKE 'writer-%'"
        )
    }


def reading_markers(db):
    return {name for (name,) in dbfacts.rows(db, "SELECT name FROM scenario_reading WHERE name LIKE 'writer-%'")}


def wait_for(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "extra,gate_on",
    [
        pytest.param([], "real", id="one-transaction"),
        pytest.param(["--rehearse"], "rehearsal", id="rehearse-first"),
    ],
)
def test_every_committed_insert_survives_a_run(writer_template, tmp_path, extra, gate_on):
    project = copy_project(writer_template, tmp_path / "db")
    stop = tmp_path / "stop"
    gate = Gate(tmp_path / "gate", on=gate_on)
    # The writer's markers go to a file, not a pipe nobody reads until the end: a full pipe
    # would stop the writer (it blocks on print) and the test would prove nothing.
    log = open(tmp_path / "writer.out", "w")  # noqa: SIM115 (closed in the finally below, after the writer stops)
    writer = subprocess.Popen(
        [sys.executable, str(WRITER), project.db, str(stop)], stdout=log, stderr=subprocess.PIPE, text=True
    )
    run = None
    try:
        wait_for(lambda: committed_markers(project.db), "the writer's first commit")  # it is going
        run = project.popen("safe_migrate", "--noinput", *extra, **gate.env())
        gate.wait_reached(run, timeout=180)
        at_gate = committed_markers(project.db)
        [backup] = project.backups()
        in_backup = committed_markers(backup)
        if gate_on == "real":
            # Inside the apply transaction: what the writer committed since the backup is here.
            since_backup = at_gate - in_backup
            assert since_backup, "no insert was committed between the backup and the migration"
        else:
            # The migration runs on the copy; the writer keeps committing to the real database.
            wait_for(
                lambda: len(committed_markers(project.db) - at_gate) >= 20,
                "the writer to commit while the migration runs on the rehearsal copy",
            )
            since_backup = committed_markers(project.db) - in_backup
        released_at = time.time()
        gate.release()
        out, err = finish(run, timeout=300)
        run_ended_at = time.time()
        assert_exit(subprocess.CompletedProcess(run.args, run.returncode, out, err), 0)
        # The writer goes on after the run (it had to wait while the apply transaction held the lock).
        count = len(committed_markers(project.db))
        wait_for(lambda: len(committed_markers(project.db)) >= count + 20, "the writer to go on after the run")
    finally:
        stop.touch()
        if run is not None and run.poll() is None:
            gate.release()
            finish(run, timeout=300)
        _, writer_err = writer.communicate(timeout=180)
        log.close()
    writer_out = (tmp_path / "writer.out").read_text()
    assert writer.returncode == 0, writer_err
    # MARKER EPOCH per line, printed only after its COMMIT returned: what the database promised.
    promised = dict(line.split() for line in writer_out.splitlines() if line.startswith("writer-"))
    assert promised, writer_err
    present = committed_markers(project.db)
    missing = set(promised) - present
    assert not missing, f"{len(missing)} committed inserts lost, e.g. {sorted(missing)[:5]}"
    assert set(promised) <= reading_markers(project.db)
    assert since_backup <= present
    assert any(float(t) > released_at for t in promised.values())
    assert integrity(project.db) == ["ok"]
    assert MIGRATION in project.applied()
    assert (
        dbfacts.rows(project.db, f"SELECT sql FROM sqlite_master WHERE name = '{BIG_TABLE}'")[0][0].count(
            '"engineer_name" varchar(120)'
        )
        == 1
    )
    assert "Other processes have the database open" in out
    record = project.journal()[-1]
    assert record["outcome"] == "applied" and record["migrations"] == [MIGRATION]
    during = [m for m, t in promised.items() if m not in in_backup and float(t) < run_ended_at]
    print(
        f"\nwriter: {len(promised)} committed inserts, {len(since_backup)} after the backup before "
        f"the gate opened, {len(during)} after the backup before the run ended, none lost"
    )
