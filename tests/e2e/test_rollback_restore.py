"""--rollback, --restore, --prune-backups and --list-backups on a real file."""

import json
import sqlite3

import pytest

from . import dbfacts
from .conftest import assert_clean

pytestmark = pytest.mark.e2e


def insert_readings(db, rows):
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany("INSERT INTO scenario_reading (name, value, note, comment) VALUES (?, ?, ?, ?)", rows)
    conn.close()


def test_rollback_keeps_rows_written_after_the_upgrade(project):
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    upgrade = project.journal()[-1]
    insert_readings(project.db, [(f"after {i}", i, None, None) for i in range(25)])
    written = dbfacts.rows(project.db, "SELECT id, name, value, note FROM scenario_reading ORDER BY id")

    result = project.run("safe_migrate", "--rollback", "--noinput", scenario="add_column")

    last = assert_clean(result, 0)
    assert last.startswith(f"Database rolled back: 1 migration undone (run {upgrade['id']})")
    assert "comment" not in dbfacts.columns(project.db, "scenario_reading")
    assert dbfacts.rows(project.db, "SELECT id, name, value, note FROM scenario_reading ORDER BY id") == written
    assert "scenario.0002_reading_comment" not in project.applied()
    record = project.journal()[-1]
    assert record["mode"] == "rollback" and record["rolls_back"] == upgrade["id"]
    # Nothing left to roll back: exit 0, unchanged.
    again = project.run("safe_migrate", "--rollback", "--noinput", scenario="add_column")
    assert assert_clean(again, 0).startswith("Database unchanged: nothing to roll back")


def test_rollback_of_a_data_migration_takes_back_only_the_rows_it_added(project):
    """Undoing a run whose data migration added rows (as granting permissions to a group does)
    deletes exactly those rows again: not a loss. A row written since that the reverse code would
    delete too is a loss, refused without --allow-data-loss."""
    readings = "SELECT id, name, value, note FROM scenario_reading ORDER BY id"
    before_upgrade = dbfacts.rows(project.db, readings)
    assert_clean(project.run("safe_migrate", "--noinput", scenario="data_rows"), 0)
    assert dbfacts.count(project.db, "scenario_reading") == len(before_upgrade) + 3
    rolled = project.run("safe_migrate", "--rollback", "--noinput", scenario="data_rows")
    assert_clean(rolled, 0)
    assert dbfacts.rows(project.db, readings) == before_upgrade
    assert "scenario.0002_calibration_readings" not in project.applied()

    assert_clean(project.run("safe_migrate", "--noinput", scenario="data_rows"), 0)
    conn = sqlite3.connect(project.db)
    with conn:
        conn.execute("INSERT INTO scenario_reading (name, value, note) VALUES ('calibration-by-hand', 7, NULL)")
    conn.close()
    before = project.hashes()
    refused = project.run("safe_migrate", "--rollback", "--noinput", scenario="data_rows")
    assert_clean(refused, 3)
    assert "1 of" in refused.stderr and "rows of scenario_reading would be deleted" in refused.stderr
    assert project.hashes() == before


def test_rollback_that_would_drop_new_values_is_refused(project):
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    insert_readings(project.db, [(f"after {i}", i, None, "written since") for i in range(4)])
    before = project.hashes()
    refused = project.run("safe_migrate", "--rollback", "--noinput", scenario="add_column")
    assert_clean(refused, 3)
    assert "scenario_reading.comment would be dropped holding 4 values" in refused.stderr
    assert "--allow-data-loss" in refused.stderr and "--restore" in refused.stderr
    assert project.hashes() == before
    allowed = project.run("safe_migrate", "--rollback", "--noinput", "--allow-data-loss", scenario="add_column")
    assert_clean(allowed, 0)
    assert dbfacts.count(project.db, "scenario_reading") == 304


def test_rollback_of_an_irreversible_step_is_refused_with_the_restore_cost(project):
    assert_clean(project.run("safe_migrate", "--noinput", scenario="irreversible"), 0)
    insert_readings_plain(project.db, 3)
    before = project.hashes()
    result = project.run("safe_migrate", "--rollback", "--noinput", scenario="irreversible")
    last = assert_clean(result, 3)
    assert "cannot be undone" in result.stderr
    upgrade_backup = project.journal()[-2]["backup"]["path"]
    assert f"--restore {upgrade_backup}`" in result.stderr
    assert "at least the 3 row(s) added since it was taken" in result.stderr
    assert last.startswith("Database unchanged")
    assert project.hashes() == before


def insert_readings_plain(db, n):
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany("INSERT INTO scenario_reading (name, value) VALUES (?, ?)", [(f"x{i}", i) for i in range(n)])
    conn.close()


def test_rollback_after_a_restore_is_refused(project):
    original, applied = project.hashes(), project.applied()
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    backup = project.journal()[-1]["backup"]["path"]
    insert_readings(project.db, [("late", 1, None, "late value")])
    restored = project.run("safe_migrate", "--restore", "--noinput", scenario="add_column")
    assert assert_clean(restored, 0).startswith(f"Database restored from {backup}")
    # The upgrade's backup came back: the rows and migrations of before the upgrade.
    assert project.hashes() == original and project.applied() == applied
    result = project.run("safe_migrate", "--rollback", "--noinput", scenario="add_column")
    assert_clean(result, 3)
    assert "restored from a backup" in result.stderr
    assert project.hashes() == original and project.applied() == applied


def test_restore_of_a_chosen_backup_keeps_a_safety_backup(project):
    original = project.hashes()
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    chosen = project.journal()[-1]["backup"]["path"]
    insert_readings(project.db, [("late", 1, None, "late value")])
    current = project.hashes()
    reader = sqlite3.connect(project.db)  # another connection open during the restore
    reader.execute("SELECT COUNT(*) FROM scenario_reading").fetchone()

    result = project.run("safe_migrate", "--restore", chosen, "--noinput", scenario="add_column")

    last = assert_clean(result, 0)
    assert last.startswith(f"Database restored from {chosen}")
    assert project.hashes() == original
    assert "comment" not in dbfacts.columns(project.db, "scenario_reading")
    record = project.journal()[-1]
    assert record["mode"] == "restore" and record["outcome"] == "applied"
    safety = record["safety_backup"]["path"]
    assert dbfacts.content_hashes(safety) == current  # the state before the restore is kept
    # The other connection stays valid and now sees the restored database.
    assert reader.execute("SELECT COUNT(*) FROM scenario_reading").fetchone()[0] == 300
    reader.close()
    assert dbfacts.quick_check(project.db) == "ok"


def test_restore_refuses_a_damaged_backup_and_names_a_good_one(project):
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    good = project.journal()[-1]["backup"]["path"]
    assert_clean(project.run("safe_migrate", "scenario", "0001", "--noinput", scenario="add_column"), 0)
    bad = project.journal()[-1]["backup"]["path"]
    with open(bad, "r+b") as handle:
        handle.seek(5000)
        handle.write(b"garbage")
    before = project.hashes()
    result = project.run("safe_migrate", "--restore", bad, "--noinput", scenario="add_column")
    assert_clean(result, 3)
    assert "no longer match the sha256" in result.stderr and good in result.stderr
    assert project.hashes() == before
    # A truncated backup is refused too.
    with open(good, "r+b") as handle:
        handle.truncate(8192)
    result = project.run("safe_migrate", "--restore", good, "--noinput", scenario="add_column")
    assert_clean(result, 3)
    assert "truncated" in result.stderr


def test_restore_asks_and_a_closed_stdin_declines(project):
    original, applied = project.hashes(), project.applied()
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    before = project.hashes()
    result = project.run("safe_migrate", "--restore", scenario="add_column", input="")
    assert_clean(result, 3)
    assert "cancelled" in result.stderr
    assert project.hashes() == before and "scenario.0002_reading_comment" in project.applied()
    accepted = project.run("safe_migrate", "--restore", scenario="add_column", input="yes\n")
    assert_clean(accepted, 0)
    assert project.hashes() == original and project.applied() == applied


def test_restore_without_any_backup_is_refused(project):
    result = project.run("safe_migrate", "--restore", "--noinput")
    assert_clean(result, 3)
    assert "no backup" in result.stderr


def test_list_backups_and_prune_keep_the_rollback_backup(project):
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    protected = project.journal()[-1]["backup"]["path"]
    # Two further runs that produce backups: a backwards target and a forwards one again.
    assert_clean(project.run("safe_migrate", "scenario", "0001", "--noinput", scenario="add_column"), 0)
    at_0001 = project.hashes()
    assert_clean(project.run("safe_migrate", "--noinput", "scenario", scenario="add_column"), 0)
    newest_upgrade = project.journal()[-1]["backup"]["path"]
    assert dbfacts.content_hashes(newest_upgrade) == at_0001  # each backup holds the state it was taken of

    listed = project.run("safe_migrate", "--list-backups", "--json", scenario="add_column")
    assert listed.returncode == 0, listed.stderr
    backups = json.loads(listed.stdout)
    assert len(backups) == 3
    assert {"path", "created_at", "size", "sha256", "state"} <= set(backups[0])
    assert all(not b["path"].endswith(".json") for b in backups)
    assert "scenario.0001_initial" in backups[0]["state"]

    pruned = project.run("safe_migrate", "--prune-backups", "--keep", "1", "--noinput", scenario="add_column")
    assert_clean(pruned, 0)
    # The newest backup is also the one of the run --rollback would undo (the third); the first
    # run can no longer be undone on its own, so its backup goes too.
    remaining = project.backups()
    assert remaining == [newest_upgrade] and protected not in remaining
    assert all(__import__("os").path.exists(p + ".json") for p in remaining)
    assert project.journal()[-1]["mode"] == "prune"


def test_rollback_right_after_adding_a_column_with_a_default(project):
    """Values the upgrade itself filled in are not 'written since': only later ones are."""
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_default"), 0)
    assert dbfacts.rows(project.db, "SELECT COUNT(checked) FROM scenario_reading")[0][0] == 300
    result = project.run("safe_migrate", "--rollback", "--noinput", scenario="add_default")
    assert_clean(result, 0)
    assert "checked" not in dbfacts.columns(project.db, "scenario_reading")
    # Again, with one row written after the upgrade: that value would be lost.
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_default"), 0)
    conn = sqlite3.connect(project.db)
    with conn:
        conn.execute("INSERT INTO scenario_reading (name, value, checked) VALUES ('late', 1, 1)")
    conn.close()
    refused = project.run("safe_migrate", "--rollback", "--noinput", scenario="add_default")
    assert_clean(refused, 3)
    assert "holding 1 values written since the run being undone" in refused.stderr


def test_prune_keeps_the_next_rollbacks_backup_and_older_runs_still_roll_back(project):
    """Prune keeps the newest N plus the backup of the run --rollback undoes next (only that one,
    see test_prune.py); a rollback takes its own fresh backup, so an older run still rolls back."""
    original, schema = project.hashes(), dbfacts.schema(project.db)
    assert_clean(project.run("safe_migrate", "scenario", "0002", "--noinput", scenario="two_steps"), 0)
    first = project.journal()[-1]["backup"]["path"]
    assert_clean(project.run("safe_migrate", "--noinput", scenario="two_steps"), 0)
    second = project.journal()[-1]["backup"]["path"]
    pruned = project.run("safe_migrate", "--prune-backups", "--keep", "1", "--noinput", scenario="two_steps")
    assert_clean(pruned, 0)
    assert project.backups() == [second] and first not in project.backups()
    # Both runs can be undone in turn, back to the state before the first.
    assert_clean(project.run("safe_migrate", "--rollback", "--noinput", scenario="two_steps"), 0)
    assert_clean(project.run("safe_migrate", "--rollback", "--noinput", scenario="two_steps"), 0)
    assert not any(a.startswith(("scenario.0002", "scenario.0003")) for a in project.applied())
    assert project.hashes() == original and dbfacts.schema(project.db) == schema


def test_prune_never_lets_an_unverified_safety_copy_push_out_the_good_backup(project):
    original, applied = project.hashes(), project.applied()
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    good = project.journal()[-1]["backup"]["path"]
    with open(project.db, "r+b") as handle:  # the live database gets damaged
        handle.seek(4096 * 3)
        handle.write(b"\xff" * 4096)
    restored = project.run("safe_migrate", "--restore", good, "--noinput", scenario="add_column")
    assert_clean(restored, 0)
    assert project.hashes() == original and project.applied() == applied
    assert dbfacts.quick_check(project.db) == "ok"
    safety = project.journal()[-1]["safety_backup"]
    assert safety["verified"] is False  # a byte copy of the damaged file, newer than `good`
    pruned = project.run("safe_migrate", "--prune-backups", "--keep", "1", "--noinput", scenario="add_column")
    assert_clean(pruned, 0)
    assert good in project.backups()
    insert_readings_plain(project.db, 2)  # something the next restore must take away again
    again = project.run("safe_migrate", "--restore", "--noinput", scenario="add_column")
    # The newest journaled backup that is a backup of a run, not the damaged safety copy.
    assert assert_clean(again, 0).startswith(f"Database restored from {good}")
    assert project.hashes() == original and project.applied() == applied
    assert dbfacts.quick_check(project.db) == "ok"
