"""Scheduled backups (`manage.py backup_orb`) and the off-ship copy (`manage.py export_backup`),
on a real SQLite file and a real PostgreSQL database, asserted on the databases afterwards."""

import json
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from . import dbfacts
from .conftest import Gate, assert_clean, finish

pytestmark = pytest.mark.e2e


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr
    return result


def insert_reading(db, name):
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO scenario_reading (name, value, note) VALUES (?, 1, NULL)", (name,))
    conn.close()


def sidecar_of(path):
    with open(path + ".json") as handle:
        return json.load(handle)


def listed(project):
    return json.loads(ok(project.run("safe_migrate", "--list-backups", "--json")).stdout)


# --- backup_orb, SQLite --------------------------------------------------------------------------
def test_backup_orb_is_a_safe_migrate_backup_that_restore_brings_back(project):
    taken = project.hashes()
    result = ok(project.run("backup_orb"))
    record = project.journal()[-1]
    assert record["mode"] == "backup" and record["outcome"] == "applied"
    path = record["backup"]["path"]
    assert result.stdout.strip().splitlines()[-1].startswith(f"Database unchanged; backup {path} written and verified")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert dbfacts.file_sha(path) == record["backup"]["sha256"]
    assert dbfacts.content_hashes(path) == taken and dbfacts.quick_check(path) == "ok"
    sidecar = sidecar_of(path)
    assert sidecar["kind"] == "scheduled" and sidecar["sha256"] == record["backup"]["sha256"]
    assert sidecar["applied"] == sorted(project.applied())
    [entry] = listed(project)
    assert entry["path"] == path and entry["counted"] and entry["kind"] == "scheduled"

    insert_reading(project.db, "written after the backup")
    assert project.hashes() != taken
    last = assert_clean(project.run("safe_migrate", "--restore", "--noinput"), 0)
    assert last.startswith(f"Database restored from {path}")
    assert project.hashes() == taken


def test_keep_prunes_by_safe_migrates_rules(project):
    for _ in range(3):
        ok(project.run("backup_orb", "--keep", "2"))
    backups = [r["backup"]["path"] for r in project.journal() if r["mode"] == "backup"]
    assert len(backups) == 3
    assert project.backups() == sorted(backups[1:])  # the oldest was deleted, with its sidecar
    assert not os.path.exists(backups[0] + ".json")
    prunes = [r for r in project.journal() if r["mode"] == "prune"]
    assert prunes[-1]["deleted"] == [backups[0]]


def test_keep_below_one_is_a_usage_error(project):
    result = project.run("backup_orb", "--keep", "0")
    assert result.returncode == 2 and "--keep needs N of at least 1" in result.stderr
    assert project.backups() == [] and project.journal() == []


def test_refused_while_a_migration_holds_the_lock(project, tmp_path):
    gate = Gate(tmp_path / "gate")
    run = project.popen("safe_migrate", "--noinput", ORB_SCENARIO="slow", **gate.env())
    try:
        gate.wait_reached(run)
        result = project.run("backup_orb", scenario="slow")
    finally:
        gate.release()
        finish(run)
    assert result.returncode == 3 and "holds the lock" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert project.journal()[-1]["mode"] == "upgrade"  # the refusal was journaled before the run's record
    assert [r["outcome"] for r in project.journal() if r["mode"] == "backup"] == ["refused"]


WRITER = """
import os, sqlite3, sys
db, stop = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db, timeout=30)
n = 0
while not os.path.exists(stop):
    with conn:
        conn.execute("INSERT INTO scenario_reading (name, value, note) VALUES ('writer', ?, NULL)", (n,))
    n += 1
    if n == 1:
        print("committed", flush=True)
print(n, flush=True)
"""


def test_backup_while_the_app_writes(project, tmp_path):
    """A writer commits rows in a loop during the backup: the backup is a consistent snapshot
    (it verifies and holds a prefix of the writer's rows), and no committed row is lost."""
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, project.db, str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "committed"
        result = project.run("backup_orb")
    finally:
        stop.touch()
        written = int(writer.communicate(timeout=60)[0].split()[-1])
    ok(result)
    path = project.journal()[-1]["backup"]["path"]
    assert dbfacts.quick_check(path) == "ok"
    in_backup = [v for (v,) in dbfacts.rows(path, "SELECT value FROM scenario_reading WHERE name='writer'")]
    assert in_backup == list(range(len(in_backup))) and 1 <= len(in_backup) <= written
    live = [v for (v,) in dbfacts.rows(project.db, "SELECT value FROM scenario_reading WHERE name='writer'")]
    assert live == list(range(written))


# --- backup_orb, PostgreSQL ----------------------------------------------------------------------
@pytest.mark.postgres
def test_backup_orb_on_postgresql_then_restore(pg):
    before = pg.hashes()
    ok(pg.run("backup_orb", "--keep", "1"))
    record = [r for r in pg.journal() if r["mode"] == "backup"][-1]
    [path] = pg.backups()
    assert record["backup"]["path"] == path and path.endswith(".dump")
    assert sidecar_of(path)["kind"] == "scheduled"
    [entry] = listed(pg)
    assert entry["path"] == path and entry["counted"]
    with pg.connect() as conn:
        conn.execute("INSERT INTO scenario_reading (name, value) VALUES ('later', 1)")
    assert pg.hashes() != before
    last = assert_clean(pg.run("safe_migrate", "--restore", "--noinput"), 0)
    assert last.startswith(f"Database restored from {path}")
    assert pg.hashes() == before
