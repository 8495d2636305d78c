"""--plan, --dry-run, --status, --history and --json: nothing changes, one JSON document."""

import contextlib
import json
import os

import pytest

from . import dbfacts
from .conftest import assert_clean

pytestmark = pytest.mark.e2e


def listing(directory):
    return sorted(os.listdir(directory))


def test_plan_and_dry_run_leave_the_file_byte_identical(project):
    digest = dbfacts.file_sha(project.db)
    files = listing(project.dir)

    plan = project.run("safe_migrate", "--plan", scenario="remove_column")
    last = assert_clean(plan, 0)
    assert "scenario.0002_remove_reading_note (forwards) [DESTRUCTIVE]" in plan.stdout
    assert 'ALTER TABLE "scenario_reading" DROP COLUMN "note"' in plan.stdout or "DROP" in plan.stdout
    assert last.startswith("Database unchanged")
    assert listing(project.dir) == files  # --plan writes no file at all

    dry = project.run("safe_migrate", "--dry-run", scenario="rebuild")
    last = assert_clean(dry, 0)
    assert last.startswith("Database unchanged: dry run passed; 1 migration(s) would apply.")
    assert dbfacts.file_sha(project.db) == digest
    assert not [f for f in listing(project.dir) if ".rehearsal-" in f or ".backup-" in f]
    assert project.journal()[-1]["mode"] == "dry-run" and project.journal()[-1]["outcome"] == "rehearsed"


def test_dry_run_reports_the_failure_it_would_meet(project):
    digest = dbfacts.file_sha(project.db)
    result = project.run("safe_migrate", "--dry-run", scenario="fail_always")
    assert_clean(result, 1)
    assert "0003_fail failed" in result.stderr
    assert dbfacts.file_sha(project.db) == digest


def test_plan_and_status_never_create_a_database(empty_project):
    for args in (["--plan"], ["--status"], ["--history"], ["--list-backups"]):
        result = empty_project.run("safe_migrate", *args)
        assert result.returncode == 0, result.stderr
        assert not os.path.exists(empty_project.db), args
    assert os.listdir(empty_project.dir) == []


@pytest.mark.parametrize(
    "mode,keys",
    [
        ("--status", {"engine", "database", "applied", "pending", "latest_backup"}),
        ("--plan", {"steps"}),
    ],
)
def test_json_documents(project, mode, keys):
    result = project.run("safe_migrate", mode, "--json", scenario="add_column")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert keys <= set(document)
    if mode == "--status":
        assert document["pending"] == ["scenario.0002_reading_comment"]
        assert "scenario.0001_initial" in document["applied"]
    else:
        [step] = document["steps"]
        assert step["migration"] == "scenario.0002_reading_comment"
        assert step["direction"] == "forwards" and step["destructive"] is False
        assert any("ADD COLUMN" in s for s in step["sql"])


def test_json_of_an_applying_run_and_of_history(project):
    result = project.run("safe_migrate", "--noinput", "--json", scenario="add_column")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["outcome"] == "applied" and record["mode"] == "upgrade"
    assert result.stderr.strip().splitlines()[-1].startswith("Database upgraded")
    history = project.run("safe_migrate", "--history", "--json", scenario="add_column")
    runs = json.loads(history.stdout)
    assert runs[0]["id"] == record["id"]
    assert {"id", "started_at", "finished_at", "mode", "outcome", "migrations", "backup"} <= set(runs[0])
    assert runs[0]["backup"] == record["backup"]["path"]
    # A refusal in JSON mode is still exactly one document, and the database did not change.
    before, schema, applied = project.hashes(), dbfacts.schema(project.db), project.applied()
    refused = project.run("safe_migrate", "--noinput", "--json", scenario="remove_column")
    assert refused.returncode == 3, refused.stderr
    document = json.loads(refused.stdout)
    assert document["exit_code"] == 3
    # Refused at preflight: the applied 0002_reading_comment has no file in this scenario.
    assert "scenario.0002_reading_comment has no file on disk" in refused.stderr
    assert refused.stderr.strip().splitlines()[-1].startswith("Database unchanged")
    assert project.hashes() == before and dbfacts.schema(project.db) == schema
    assert project.applied() == applied and "scenario.0002_remove_reading_note" not in applied
    assert "note" in dbfacts.columns(project.db, "scenario_reading")
    assert dbfacts.rows(project.db, "SELECT COUNT(note) FROM scenario_reading")[0][0] > 0
    assert project.journal()[-1]["outcome"] == "refused"


def test_status_and_history_in_words(project):
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    status = project.run("safe_migrate", "--status", scenario="add_column")
    assert_clean(status, 0)
    assert "scenario: 2 applied, 0 pending" in status.stdout
    assert "Newest backup: " in status.stdout and "Last run: " in status.stdout
    history = project.run("safe_migrate", "--history", scenario="add_column")
    assert_clean(history, 0)
    assert "upgrade  applied" in history.stdout


def test_a_torn_journal_line_is_reported_not_fatal(project):
    before, schema, applied = project.hashes(), dbfacts.schema(project.db), project.applied()
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    upgrade = project.journal()[-1]
    assert "comment" in dbfacts.columns(project.db, "scenario_reading")
    with open(project.db + ".safe_migrate.journal.jsonl", "a") as handle:
        handle.write('{"id": "half-writ')
    history = project.run("safe_migrate", "--history", scenario="add_column")
    assert_clean(history, 0)
    assert "is not a complete run record" in history.stdout
    again = project.run("safe_migrate", "--rollback", "--noinput", scenario="add_column")
    last = assert_clean(again, 0)
    # The upgrade before the torn line was still found and undone: the database is as it was.
    assert last.startswith(f"Database rolled back: 1 migration undone (run {upgrade['id']})")
    assert "comment" not in dbfacts.columns(project.db, "scenario_reading")
    assert project.applied() == applied and dbfacts.schema(project.db) == schema
    assert project.hashes() == before
    record = complete_records(project)[-1]  # appended on a line of its own after the torn one
    assert record["mode"] == "rollback" and record["outcome"] == "applied" and record["rolls_back"] == upgrade["id"]


def complete_records(project):
    """The journal's records, skipping lines that do not parse (the torn one)."""
    records = []
    with open(project.db + ".safe_migrate.journal.jsonl") as handle:
        for line in handle:
            with contextlib.suppress(ValueError):
                records.append(json.loads(line))
    return records
