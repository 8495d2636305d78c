"""Helpers shared by the fault-injection tests: facts read from SQLite files, big databases.

Sizes come from the environment so a developer can run the faults quickly or harder:

  ORB_FAULTS_KILL_MB     size of the database the kill test rebuilds      (default 200)
  ORB_FAULTS_KILLS       how many kill moments                            (default 8)
  ORB_FAULTS_SEED        replay the kill moments of an earlier run        (default: random, printed)
  ORB_FAULTS_WRITER_MB   size of the database the concurrent writer uses  (default 40)

The e2e helpers (``Project``, ``assert_clean``, ``dbfacts``) are reused as they are.
"""
import hashlib
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


# --- facts -------------------------------------------------------------------------------
def fast_table_hash(path, table):
    """sha256 over every row of ``table`` (rowid order, columns by name); None when absent.

    Same idea as ``dbfacts.table_hash`` but fast enough for a 200 MB table."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone():
            return None
        names = sorted(row[1] for row in conn.execute(f'PRAGMA table_info("{table}")'))
        select = ", ".join(f'"{n}"' for n in names)
        digest = hashlib.sha256(repr(names).encode())
        cursor = conn.execute(f'SELECT {select} FROM "{table}" ORDER BY rowid')
        while True:
            batch = cursor.fetchmany(5000)
            if not batch:
                break
            digest.update(repr(batch).encode())
        return digest.hexdigest()
    finally:
        conn.close()


def all_hashes(path, *, skip=("django_migrations",)):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    finally:
        conn.close()
    return {t: fast_table_hash(path, t) for t in tables if t not in skip}


def integrity(path):
    """``PRAGMA integrity_check`` as a list of lines (['ok'] when sound)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def state_of(path):
    """(schema, applied migrations) of the database at ``path``."""
    return dbfacts.schema(path), dbfacts.applied(path)


def file_digest(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(4 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
        elif ".backup-" in name and not name.endswith(".json"):
            if not os.path.exists(os.path.join(directory, name + ".json")):
                bad.append(name + " (no sidecar)")
    return bad


# --- building databases --------------------------------------------------------------------
def fill_tickets(db, megabytes, *, seed=1):
    """Grow the scenario ticket table to about ``megabytes`` MB with sqlite3 directly."""
    import random

    rng = random.Random(seed)
    row_bytes = 2000
    rows = max(1, megabytes * 1024 * 1024 // (row_bytes + 80))
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        batch = []
        for i in range(rows):
            notes = rng.randbytes(row_bytes // 2).hex()
            batch.append((f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", f"{300 + i % 50}.5",
                          f"Engineer {i % 17}", notes))
            if len(batch) >= 5000:
                conn.executemany(
                    f'INSERT INTO "{BIG_TABLE}" (ticket_date, consumption_gallons, engineer_name, notes) '
                    "VALUES (?, ?, ?, ?)", batch)
                batch = []
        if batch:
            conn.executemany(
                f'INSERT INTO "{BIG_TABLE}" (ticket_date, consumption_gallons, engineer_name, notes) '
                "VALUES (?, ?, ?, ?)", batch)
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
