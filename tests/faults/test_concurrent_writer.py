"""2. A concurrent writer: every insert whose COMMIT returned is in the database afterwards.

Another process inserts tickets (into the very table the migration rebuilds) and readings
in a loop, with its own connections and a busy timeout, for the whole of a run on a
~40 MB database (ORB_FAULTS_WRITER_MB).  ``safe_migrate`` may make it wait (the apply
transaction holds the write lock) or refuse, but it must never lose a committed write:
not through the backup, not through the rebuild, not through the rehearsal copy.
"""
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e import dbfacts

from .helpers import BIG_TABLE, assert_exit, copy_project, integrity

pytestmark = pytest.mark.faults

WRITER = Path(__file__).with_name("writer.py")


def committed_markers(db):
    return {name for (name,) in dbfacts.rows(db, f'SELECT engineer_name FROM "{BIG_TABLE}" '
                                                 "WHERE engineer_name LIKE 'writer-%'")}


def reading_markers(db):
    return {name for (name,) in dbfacts.rows(db, "SELECT name FROM scenario_reading WHERE name LIKE 'writer-%'")}


@pytest.mark.parametrize("extra", [[], ["--rehearse"]], ids=["one-transaction", "rehearse-first"])
def test_every_committed_insert_survives_a_run(writer_template, tmp_path, extra):
    project = copy_project(writer_template, tmp_path / "db")
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, str(WRITER), project.db, str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Let the writer get going before the run starts.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not committed_markers(project.db):
            time.sleep(0.1)
        assert committed_markers(project.db), "the writer never committed"
        first_wave = committed_markers(project.db)
        run = project.run("safe_migrate", "--noinput", *extra)
        output = assert_exit(run, run.returncode)
        assert run.returncode in (0, 3), output  # may refuse, must not fail
        during = committed_markers(project.db) - first_wave
        time.sleep(1.0)  # and the writer keeps going after the run
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=180)
    assert writer.returncode == 0, err
    promised = set(out.split())
    assert promised, err
    present = committed_markers(project.db)
    missing = promised - present
    assert not missing, f"{len(missing)} committed inserts lost, e.g. {sorted(missing)[:5]}"
    assert promised <= reading_markers(project.db)
    assert integrity(project.db) == ["ok"]
    assert during, "no insert was committed while safe_migrate ran: the test proved nothing"
    if run.returncode == 0:
        assert "scenario.0002_alter_ticket_engineer_name" in project.applied()
        assert "Other processes have the database open" in run.stdout
    print(f"\nwriter: {len(promised)} committed inserts, {len(during)} while safe_migrate ran, none lost")
