"""Helpers shared by the fault-injection tests: facts read from SQLite files, big databases.

Sizes come from the environment so a developer can run the faults quickly or harder:

  ORB_FAULTS_KILL_MB     size of the database the kill test rebuilds      (default 200)
  ORB_FAULTS_KILLS       how many kill moments                            (default 8)
  ORB_FAULTS_SEED        replay the kill moments of an earlier run        (default: random, printed)
  ORB_FAULTS_WRITER_MB   size of the database the concurrent writer uses  (default 40)

The e2e helpers (``Project``, ``assert_clean``, ``dbfacts``) are reused as they are; the facts
below are dbfacts' own functions under the names the fault tests use.
"""

import os
import shutil
import sqlite3
from pathlib import Path

from tests.e2e import dbfacts
from tests.e2e.conftest import Project, assert_clean  # noqa: F401 (re-exported for the fault tests)

BIG_SCENARIO = "big_rebuild"
BIG_TABLE = "scenario_ticket"


def env_int(name, default):
    return int(os.environ.get(name) or default)


def assert_exit(result, code):
    """Exit status as expected, no traceback, no "unexpected error" (a bug caught by the command)."""
    output = result.stdout + result.stderr
    assert result.returncode == code, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in output, output
    assert "unexpected error" not in output, output
    return output


# --- facts (one implementation, in dbfacts: digests compare across e2e and fault tests) -----
fast_table_hash = dbfacts.table_hash  # batched: fast enough for the 200 MB kill table
all_hashes = dbfacts.content_hashes
integrity = dbfacts.integrity_check
file_digest = dbfacts.file_sha


def state_of(path):
    """(schema, applied migrations) of the database at ``path``."""
    return dbfacts.schema(path), dbfacts.applied(path)


def db_files_digest(db):
    """Digest of the database file and its -wal (a change in either is a change)."""
    parts = []
    for suffix in ("", "-wal"):
        p = db + suffix
        if os.path.exists(p) and os.path.getsize(p):
            parts.append(f"{suffix}:{file_digest(p)}")
    return ";".join(parts)


def leftovers(directory):
    """Files in ``directory`` that a finished run must not leave behind."""
    bad = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".partial") or ".rehearsal-" in name or ".tmp-" in name:
            bad.append(name)
        elif (
            ".backup-" in name
            and not name.endswith(".json")
            and not os.path.exists(os.path.join(directory, name + ".json"))
        ):
            bad.append(name + " (no sidecar)")
    return bad


# --- building databases --------------------------------------------------------------------
def fill_tickets(db, megabytes, *, seed=1):
    """Grow the scenario ticket table to about ``megabytes`` MB with sqlite3 directly."""
    import random

    rng = random.Random(seed)
    row_bytes = 2000
    rows = max(1, megabytes * 1024 * 1024 // (row_bytes + 80))
    insert = f'INSERT INTO "{BIG_TABLE}" (ticket_date, consumption_gallons, engineer_name, notes) VALUES (?, ?, ?, ?)'
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        for start in range(0, rows, 5000):
            conn.executemany(
                insert,
                [
                    (
                        f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                        f"{300 + i % 50}.5",
                        f"Engineer {i % 17}",
                        rng.randbytes(row_bytes // 2).hex(),
                    )
                    for i in range(start, min(start + 5000, rows))
                ],
            )
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return rows


def build_big_template(directory, megabytes):
    """A database with every app migrated, the scenario at 0001 (big ticket table, pending
    0002 rebuilds it), seeded readings + fuel tickets, and ~``megabytes`` MB of tickets.
    Only the database file is kept: no journal, no backups."""
    work = Project(directory, scenario=BIG_SCENARIO)
    assert_clean(work.run("safe_migrate", "--noinput"), 0)
    assert_clean(work.run("safe_migrate", "scenario", "0001_initial", "--noinput"), 0)
    seeded = work.run("seed_scenario", "--tickets", "50")
    assert seeded.returncode == 0, seeded.stderr
    fill_tickets(work.db, megabytes)
    for name in os.listdir(directory):
        if name != "orb.db":
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                os.unlink(path)
    return work.db


def copy_project(template_db, directory, *, scenario=BIG_SCENARIO):
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_db, directory / "orb.db")
    return Project(directory, scenario=scenario)
