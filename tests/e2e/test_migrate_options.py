"""The `migrate` options an operator reaches for, through safe_migrate, on a real SQLite file (issue 20).

Each test runs ``manage.py safe_migrate`` as a subprocess and asserts on what it left: the rows of
``django_migrations``, the tables' contents, the journal and the backups (with their sidecars).
A schema change "made by hand" is made with sqlite3 on the file, as an operator would.
"""

import json
import os
import sqlite3
from pathlib import Path

import pytest

from . import dbfacts
from .conftest import assert_clean

pytestmark = pytest.mark.e2e

COMMENT = "scenario.0002_reading_comment"
INITIAL = "scenario.0001_initial"
SQUASH = "scenario.0001_squashed_0002_reading_comment"
CHECK_ERROR_APP = {"ORB_EXTRA_APPS": "tests.e2e.scenarios.check_error"}


def by_hand(db, sql):
    """A change an operator makes outside safe_migrate (sqlite3 on the file)."""
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.execute(sql)
    finally:
        conn.close()


def files(project):
    return sorted(os.listdir(project.dir))


def sidecar(backup):
    return json.loads(Path(backup + ".json").read_text())


# --- --check -----------------------------------------------------------------------------------
def test_check_answers_with_its_exit_status_and_writes_nothing(project):
    digest, before = dbfacts.file_sha(project.db), files(project)

    pending = project.run("safe_migrate", "--check", scenario="add_column")

    assert pending.returncode == 1, pending.stderr
    assert pending.stdout.strip().splitlines() == [
        f"Database has 1 pending migration(s) ({COMMENT}); run `manage.py safe_migrate` to apply them."
    ]
    assert "Traceback" not in pending.stderr
    as_json = project.run("safe_migrate", "--check", "--json", scenario="add_column")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["pending"] == [COMMENT]
    at_target = project.run("safe_migrate", "--check", "scenario", "0001", scenario="add_column")
    assert at_target.returncode == 0 and "up to date" in at_target.stdout
    # No lock, no backup, no journal: the folder and the file are as they were.
    assert dbfacts.file_sha(project.db) == digest and files(project) == before
    assert project.journal() == [] and project.backups() == []

    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    done = project.run("safe_migrate", "--check", scenario="add_column")
    assert done.returncode == 0
    assert done.stdout.strip().splitlines() == ["Database is up to date: no pending migrations."]


def test_check_never_creates_the_database(empty_project):
    result = empty_project.run("safe_migrate", "--check")
    assert result.returncode == 1 and "pending migration(s)" in result.stdout
    assert not os.path.exists(empty_project.db) and os.listdir(empty_project.dir) == []


# --- --run-syncdb and --skip-checks --------------------------------------------------------------
def test_run_syncdb_is_refused_with_one_sentence(project):
    digest = dbfacts.file_sha(project.db)
    result = project.run("safe_migrate", "--run-syncdb", "--noinput", scenario="add_column")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--run-syncdb is not supported: apps without migrations are not supported on a ship's database" in (
        result.stderr
    )
    assert dbfacts.file_sha(project.db) == digest and project.journal() == [] and project.backups() == []


def test_skip_checks_skips_djangos_system_checks_only(project):
    refused = project.run("safe_migrate", "--check", **CHECK_ERROR_APP)
    assert refused.returncode == 3 and "check_error.E001" in refused.stderr

    skipped = project.run("safe_migrate", "--check", "--skip-checks", **CHECK_ERROR_APP)
    assert skipped.returncode == 0, skipped.stderr

    # safe_migrate's own checks still run: faking a column that is not there is refused.
    applied = project.applied()
    faked = project.run(
        "safe_migrate", "--fake", "--noinput", "--skip-checks", scenario="add_column", **CHECK_ERROR_APP
    )
    assert_clean(faked, 3)
    assert "no such column: scenario_reading.comment" in faked.stderr
    assert project.applied() == applied


def test_help_ends_with_the_exit_statuses_and_the_runbook(project):
    result = project.run("safe_migrate", "--help")
    assert result.returncode == 0
    for flag in ("--check", "--fake", "--fake-initial", "--prune", "--allow-mismatch", "--run-syncdb", "--skip-checks"):
        assert flag in result.stdout
    tail = result.stdout.strip().split("exit status:", 1)[1].splitlines()
    assert [line.split()[0] for line in tail if line.startswith("  ") and line.strip()[0].isdigit()] == [
        "0",
        "1",
        "2",
        "3",
    ]
    assert tail[-1] == "docs/DATABASE_MIGRATIONS.md"


# --- --fake --------------------------------------------------------------------------------------
def test_fake_of_a_change_not_made_is_refused_naming_the_column(project):
    applied, hashes = project.applied(), project.hashes()

    result = project.run("safe_migrate", "--fake", "--noinput", scenario="add_column")

    last = assert_clean(result, 3)
    assert last == "Database unchanged (the transaction was rolled back)."
    assert f"Marking {COMMENT} without running it would leave the schema unlike the models" in result.stderr
    assert "scenario_reading (OperationalError: no such column: scenario_reading.comment)" in result.stderr
    assert project.applied() == applied and project.hashes() == hashes
    [record] = project.journal()
    assert record["mode"] == "fake" and record["outcome"] == "refused" and record["migrations"] == [COMMENT]
    [backup] = project.backups()  # taken before the check refused; it holds the state before
    assert record["backup"]["path"] == backup and COMMENT not in sidecar(backup)["applied"]


def test_fake_records_a_change_made_by_hand_and_changes_nothing_else(project):
    by_hand(project.db, 'ALTER TABLE "scenario_reading" ADD COLUMN "comment" varchar(100) NULL')
    applied, hashes = project.applied(), project.hashes()

    result = project.run("safe_migrate", "--fake", "--noinput", scenario="add_column")

    last = assert_clean(result, 0)
    assert f"Applying {COMMENT}... FAKED" in result.stdout
    assert last.startswith("Database marked: 1 migration(s) recorded applied without running them; backup ")
    assert project.applied() == applied | {COMMENT}
    assert project.hashes() == hashes  # not a row or a column of any table changed
    [record] = project.journal()
    assert record["mode"] == "fake" and record["outcome"] == "applied" and record["direction"] == "forwards"
    assert record["migrations"] == [COMMENT] and record["faked"] == [COMMENT] and not record["fake_initial"]
    assert COMMENT in record["applied_after"] and COMMENT in record["checksums"]
    [backup] = project.backups()
    assert record["backup"] == {"path": backup, "sha256": sidecar(backup)["sha256"]}
    assert sorted(sidecar(backup)["applied"]) == sorted(applied)

    # The marked migration counts as applied from now on: nothing pending, nothing to run.
    assert project.run("safe_migrate", "--check", scenario="add_column").returncode == 0


def test_fake_of_a_drop_keeps_the_column_and_counts_no_loss(project):
    # Marking a RemoveField applied leaves the column and its values where they are: the data
    # check compares the tables as they are, so it finds nothing lost (no --allow-data-loss needed).
    notes = dbfacts.rows(project.db, "SELECT id, note FROM scenario_reading ORDER BY id")
    assert any(note for _, note in notes)
    hashes = project.hashes()

    result = project.run("safe_migrate", "--fake", "--noinput", scenario="remove_column")

    assert_clean(result, 0)
    assert "scenario.0002_remove_reading_note" in project.applied()
    assert project.hashes() == hashes
    assert dbfacts.rows(project.db, "SELECT id, note FROM scenario_reading ORDER BY id") == notes
    record = project.journal()[-1]
    assert record["faked"] == ["scenario.0002_remove_reading_note"] and record["allowed_losses"] == []


def test_fake_asks_first_before_the_lock_and_the_backup(project):
    applied = project.applied()

    declined = project.run("safe_migrate", "--fake", scenario="add_column", input="no\n")

    assert_clean(declined, 3)
    assert f"WITHOUT running them:\n  {COMMENT}" in declined.stderr and "Fake cancelled; nothing was marked." in (
        declined.stderr
    )
    assert project.applied() == applied and project.backups() == []
    assert not os.path.exists(project.db + ".safe_migrate.lock")
    assert [r["outcome"] for r in project.journal()] == ["refused"]

    by_hand(project.db, 'ALTER TABLE "scenario_reading" ADD COLUMN "comment" varchar(100) NULL')
    confirmed = project.run("safe_migrate", "--fake", scenario="add_column", input="yes\n")
    assert_clean(confirmed, 0)
    assert project.applied() == applied | {COMMENT} and len(project.backups()) == 1


def test_allow_mismatch_marks_and_names_every_mismatch(project):
    result = project.run("safe_migrate", "--fake", "--noinput", "--allow-mismatch", scenario="add_column")

    last = assert_clean(result, 0)
    assert "Warning: Schema mismatch allowed by --allow-mismatch: scenario.Reading cannot be read from" in result.stdout
    assert "1 model(s) unlike the schema (allowed by --allow-mismatch)" in last
    assert COMMENT in project.applied() and "comment" not in dbfacts.columns(project.db, "scenario_reading")
    record = project.journal()[-1]
    assert record["allow_mismatch"] and record["smoke"].startswith("skipped")
    assert len(record["mismatches"]) == 1 and "scenario_reading.comment" in record["mismatches"][0]


def test_rollback_never_undoes_a_fake(project):
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    readings = dbfacts.rows(project.db, "SELECT id, name, value, note, comment FROM scenario_reading ORDER BY id")

    # Mark the column's migration unapplied without dropping the column (the models check passes:
    # the state before 0002 does not read the column).
    backwards = project.run("safe_migrate", "--fake", "scenario", "0001", "--noinput", scenario="add_column")
    assert_clean(backwards, 0)
    assert "recorded unapplied without running them" in backwards.stdout
    assert COMMENT not in project.applied()
    assert dbfacts.rows(project.db, "SELECT id, name, value, note, comment FROM scenario_reading ORDER BY id") == (
        readings
    )
    applied = project.applied()

    rollback = project.run("safe_migrate", "--rollback", "--noinput", scenario="add_column")

    assert_clean(rollback, 3)
    assert "marked migrations with --fake after run" in rollback.stderr and "never undoes a fake" in rollback.stderr
    assert project.applied() == applied and "comment" in dbfacts.columns(project.db, "scenario_reading")
    modes = [(r["mode"], r["outcome"]) for r in project.journal()]
    assert modes == [("upgrade", "applied"), ("fake", "applied"), ("rollback", "refused")]


# --- --fake-initial ------------------------------------------------------------------------------
def test_fake_initial_adopts_a_table_that_exists(project):
    # The table exists but its initial migration is not recorded (made by hand, or by an older tool).
    by_hand(project.db, "DELETE FROM django_migrations WHERE app = 'scenario' AND name = '0001_initial'")
    applied, hashes = project.applied(), project.hashes()

    plain = project.run("safe_migrate", "--noinput")
    assert_clean(plain, 1)
    assert 'table "scenario_reading" already exists' in plain.stderr
    assert project.applied() == applied and project.hashes() == hashes

    result = project.run("safe_migrate", "--fake-initial", "--noinput")

    last = assert_clean(result, 0)
    assert f"Applying {INITIAL}... FAKED" in result.stdout
    assert last.startswith("Database upgraded: 1 migration(s), 1 marked applied without running (tables already there)")
    assert project.applied() == applied | {INITIAL} and project.hashes() == hashes
    record = project.journal()[-1]
    assert record["mode"] == "fake" and record["fake_initial"] and record["faked"] == [INITIAL]
    assert record["outcome"] == "applied" and record["backup"]["path"] == project.backups()[-1]
    assert len(project.backups()) == 2  # the failed plain run's and this one's


def test_prune_and_fake_initial_after_a_squash(project):
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    hashes = project.hashes()

    # The squash still replaces 0001 and 0002: their rows are how it counts as applied.
    still_replaced = project.run("safe_migrate", "--prune", "--noinput", scenario="squashed")
    assert_clean(still_replaced, 3)
    assert f"The squashed migration {SQUASH} still lists migrations to prune in its `replaces`" in (
        still_replaced.stderr
    )
    assert {INITIAL, COMMENT} <= project.applied() and len(project.backups()) == 1

    # The squash made a normal migration, the old files deleted: every run is refused until --prune.
    drift = project.run("safe_migrate", "--noinput", scenario="squashed_final")
    assert_clean(drift, 3)
    assert "has no file on disk" in drift.stderr and "safe_migrate --prune" in drift.stderr

    pruned = project.run("safe_migrate", "--prune", scenario="squashed_final", input="yes\n")

    last = assert_clean(pruned, 0)
    assert f"whose files no longer exist, from {project.db}:\n  {INITIAL}\n  {COMMENT}" in pruned.stderr
    assert last.startswith(
        "Database pruned: 2 record(s) of deleted migration files removed from django_migrations "
        f"({INITIAL}, {COMMENT}); backup "
    )
    assert not {INITIAL, COMMENT} & project.applied() and project.hashes() == hashes
    record = project.journal()[-1]
    assert record["mode"] == "prune-records" and record["outcome"] == "applied"
    assert record["pruned"] == [INITIAL, COMMENT]
    backup = project.backups()[-1]
    assert record["backup"]["path"] == backup and {INITIAL, COMMENT} <= set(sidecar(backup)["applied"])

    # The squash was never recorded under its own name: it is pending, and its table exists.
    assert project.run("safe_migrate", "--check", scenario="squashed_final").returncode == 1
    adopted = project.run("safe_migrate", "--fake-initial", "--noinput", scenario="squashed_final")
    assert_clean(adopted, 0)
    assert SQUASH in project.applied() and project.hashes() == hashes
    assert project.journal()[-1]["faked"] == [SQUASH]
    assert project.run("safe_migrate", "--check", scenario="squashed_final").returncode == 0

    again = project.run("safe_migrate", "--prune", "--noinput", scenario="squashed_final")
    assert assert_clean(again, 0) == "Database unchanged: no records of deleted migration files."


def test_fake_initial_refuses_a_table_without_the_squashs_columns(project):
    # The database is at 0001 only (no comment column); the squash claims the column.
    assert_clean(project.run("safe_migrate", "--prune", "--noinput", scenario="squashed_final"), 0)
    applied, hashes = project.applied(), project.hashes()

    result = project.run("safe_migrate", "--fake-initial", "--noinput", scenario="squashed_final")

    assert_clean(result, 3)
    assert f"Marking {SQUASH} without running it would leave the schema unlike the models" in result.stderr
    assert "no such column: scenario_reading.comment" in result.stderr
    assert project.applied() == applied and project.hashes() == hashes
    assert project.journal()[-1]["outcome"] == "refused"
