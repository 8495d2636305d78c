"""Default mode on scenario migration packages: what is in the database afterwards."""

import sqlite3

import pytest

from . import dbfacts
from .conftest import assert_clean

pytestmark = pytest.mark.e2e

READING_COLUMNS = "SELECT id, name, value, note FROM scenario_reading ORDER BY id"


def readings(db):
    return dbfacts.rows(db, READING_COLUMNS)


def test_new_nullable_column_keeps_every_row_and_backs_up_the_old_state(project):
    before = project.hashes()
    old_readings = readings(project.db)
    old_schema = dbfacts.schema(project.db)

    result = project.run("safe_migrate", "--noinput", scenario="add_column")

    last = assert_clean(result, 0)
    assert last.startswith("Database upgraded: 1 migration applied; backup ")
    assert "comment" in dbfacts.columns(project.db, "scenario_reading")
    assert readings(project.db) == old_readings
    after = project.hashes()
    for table, digest in before.items():
        if table != "scenario_reading":
            assert after[table] == digest, table
    assert "scenario.0002_reading_comment" in project.applied()
    assert dbfacts.quick_check(project.db) == "ok"
    # The backup holds exactly the state before the run, and its checksum is recorded.
    [backup] = project.backups()
    assert dbfacts.content_hashes(backup) == before
    assert dbfacts.schema(backup) == old_schema
    record = project.journal()[-1]
    assert record["mode"] == "upgrade" and record["outcome"] == "applied"
    assert record["direction"] == "forwards"
    assert record["migrations"] == ["scenario.0002_reading_comment"]
    assert record["backup"] == {"path": backup, "sha256": dbfacts.file_sha(backup)}
    assert record["checksums"]["scenario.0002_reading_comment"]
    assert record["rows_after"]["scenario_reading"] == len(old_readings)


def test_table_rebuild_keeps_every_row(project):
    before = project.hashes()
    result = project.run("safe_migrate", "--noinput", scenario="rebuild")
    assert_clean(result, 0)
    assert "varchar(80)" in dbfacts.schema(project.db)["scenario_reading"]
    assert project.hashes() == before
    assert "scenario.0002_alter_reading_name" in project.applied()


def test_renames_are_followed_not_counted_as_loss(project):
    old = dbfacts.rows(project.db, "SELECT id, name, value, note FROM scenario_reading ORDER BY id")
    result = project.run("safe_migrate", "--noinput", scenario="rename")
    assert_clean(result, 0)
    assert dbfacts.rows(project.db, "SELECT id, name, value, remark FROM scenario_measurement ORDER BY id") == old
    assert dbfacts.table_hash(project.db, "scenario_reading") is None


def test_dropping_a_column_with_values_is_refused_then_allowed(project):
    before = project.hashes()
    schema = dbfacts.schema(project.db)
    values = dbfacts.count(project.db, "scenario_reading")

    refused = project.run("safe_migrate", "--noinput", scenario="remove_column")
    last = assert_clean(refused, 3)
    assert "would lose data" in refused.stderr and "scenario_reading.note" in refused.stderr
    assert "--allow-data-loss" in refused.stderr
    assert last.startswith("Database unchanged")
    assert project.hashes() == before and dbfacts.schema(project.db) == schema
    assert "scenario.0002_remove_reading_note" not in project.applied()
    assert project.journal()[-1]["outcome"] == "refused"

    allowed = project.run("safe_migrate", "--noinput", "--allow-data-loss", scenario="remove_column")
    assert_clean(allowed, 0)
    assert "note" not in dbfacts.columns(project.db, "scenario_reading")
    assert dbfacts.count(project.db, "scenario_reading") == values
    # The backup of the allowed run still holds every value of the dropped column.
    backup = project.journal()[-1]["backup"]["path"]
    assert dbfacts.table_hash(backup, "scenario_reading") == before["scenario_reading"]


def test_a_failing_runpython_leaves_the_database_unchanged(project):
    before, schema, applied = project.hashes(), dbfacts.schema(project.db), project.applied()
    result = project.run("safe_migrate", "--noinput", scenario="fail_always")
    last = assert_clean(result, 1)
    assert "scenario.0003_fail failed" in result.stderr
    assert last.startswith("Database unchanged")
    assert project.hashes() == before
    assert dbfacts.schema(project.db) == schema
    assert project.applied() == applied
    assert project.journal()[-1]["outcome"] == "failed"


@pytest.mark.parametrize("rehearse", [False, True])
def test_failing_only_on_the_real_database_after_an_earlier_step_ran_there(project, rehearse):
    before, schema, applied = project.hashes(), dbfacts.schema(project.db), project.applied()
    args = ["safe_migrate", "--noinput"] + (["--rehearse"] if rehearse else [])
    result = project.run(*args, scenario="fail_on_real")
    last = assert_clean(result, 1)
    if rehearse:
        assert "Rehearsal passed" in result.stdout
    assert "0003_fill_then_fail failed" in result.stderr
    assert last.startswith("Database unchanged")
    # 0002 ran on the real database before 0003 failed: it was rolled back with it.
    assert "comment" not in dbfacts.columns(project.db, "scenario_reading")
    assert project.hashes() == before and dbfacts.schema(project.db) == schema
    assert project.applied() == applied
    assert not list(project.dir.glob("*.rehearsal-*"))


def test_non_atomic_plan_whose_later_step_fails_is_stopped_by_the_rehearsal(project):
    before, applied = project.hashes(), project.applied()
    result = project.run("safe_migrate", "--noinput", scenario="nonatomic", ORB_SCENARIO_FAIL="always")
    last = assert_clean(result, 1)
    assert "cannot run in one transaction" in result.stdout
    assert "rehearsal on a copy failed" in result.stderr
    assert last.startswith("Database unchanged")
    assert project.hashes() == before and project.applied() == applied


def test_non_atomic_plan_failing_only_for_real_is_restored_from_the_backup(project):
    before, schema, applied = project.hashes(), dbfacts.schema(project.db), project.applied()
    result = project.run("safe_migrate", "--noinput", scenario="nonatomic", ORB_SCENARIO_FAIL="real")
    last = assert_clean(result, 1)
    backup = project.journal()[-1]["backup"]["path"]
    assert last == f"Database restored from {backup}."
    assert project.hashes() == before
    assert dbfacts.schema(project.db) == schema
    assert project.applied() == applied
    assert dbfacts.quick_check(project.db) == "ok"


def test_migrating_backwards_to_a_target_and_zero(project):
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    result = project.run("safe_migrate", "scenario", "0001", "--noinput", scenario="add_column")
    last = assert_clean(result, 0)
    assert last.startswith("Database migrated backwards: 1 migration unapplied")
    assert "comment" not in dbfacts.columns(project.db, "scenario_reading")
    # zero would drop the readings table with its rows: refused without --allow-data-loss.
    refused = project.run("safe_migrate", "scenario", "zero", "--noinput", scenario="add_column")
    assert_clean(refused, 3)
    assert dbfacts.count(project.db, "scenario_reading") == 300


def test_nothing_to_do_says_unchanged(project):
    result = project.run("safe_migrate", "--noinput")
    assert assert_clean(result, 0) == "Database unchanged: no migrations to apply."
    assert project.backups() == []
    assert project.journal()[-1]["outcome"] == "nothing-to-do"


def test_corrupt_database_is_refused_and_left_as_it_is(project):
    with open(project.db, "r+b") as handle:
        handle.seek(4096 * 3)
        handle.write(b"\xff" * 4096)
    damaged = dbfacts.file_sha(project.db)
    result = project.run("safe_migrate", "--noinput", scenario="add_column")
    last = assert_clean(result, 3)
    assert "failed its integrity check" in result.stderr
    assert last.startswith("Database unchanged")
    assert dbfacts.file_sha(project.db) == damaged
    assert project.backups() == []


def test_fresh_install_creates_the_database(empty_project):
    result = empty_project.run("safe_migrate", "--noinput")
    assert_clean(result, 0)
    assert "scenario.0001_initial" in empty_project.applied()
    # the roles data migrations: Chief Engineer, Engineer, Viewer, Master, Inspector
    assert dbfacts.count(empty_project.db, "auth_group") == 5
    conn = sqlite3.connect(empty_project.db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
