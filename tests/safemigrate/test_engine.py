"""The engine in-process: one record per run, returned by the run itself; refusals journaled the
same way in every mode; the restore's question asked before the lock (and maintenance)."""

import os
import threading

import pytest
from django.db import connection

from orb.safemigrate.engine import Engine
from orb.safemigrate.errors import MigrationFailed, Refused
from orb.safemigrate.journal import Journal
from orb.safemigrate.lock import FileLock, live_holder

from .inprocess import columns, journal, scenario

pytestmark = pytest.mark.django_db(transaction=True)


def engine(**kwargs):
    events = []
    return Engine(connection=connection, progress=events.append, **kwargs), events


def test_an_upgrade_returns_the_record_it_journaled(private_db):
    with scenario("add_column"):
        outcome = engine()[0].upgrade()
    record = journal(private_db)[-1]
    assert outcome.payload["id"] == record["id"]
    assert record["outcome"] == "applied" and record["migrations"] == [
        "scenario.0001_initial",
        "scenario.0002_reading_comment",
    ]
    assert set(record["timings"]) >= {"preflight", "disk", "backup", "apply", "verify"}
    assert os.path.exists(record["backup"]["path"])


def test_when_the_journal_cannot_be_written_the_outcome_is_still_this_runs_record(private_db, monkeypatch):
    with scenario("add_column"):
        first = engine()[0].upgrade(app_label="scenario", migration_name="0001")

        def full(self, record):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(Journal, "append", full)
        runner, events = engine()
        second = runner.upgrade()
    assert second.payload["id"] != first.payload["id"]
    assert second.payload["migrations"] == ["scenario.0002_reading_comment"]
    assert any("Could not write the journal" in e.message for e in events if e.kind == "warning")


def test_a_failed_run_is_journaled_with_what_it_knew(private_db):
    with scenario("fail_always"), pytest.raises(MigrationFailed) as failed:
        engine()[0].upgrade()
    record = journal(private_db)[-1]
    assert failed.value.state == record["state"] == "Database unchanged (the transaction was rolled back)."
    assert record["outcome"] == "failed" and record["backup"]["path"]
    assert record["migrations"] == ["scenario.0001_initial", "scenario.0002_reading_comment", "scenario.0003_fail"]
    assert columns(private_db, "scenario_reading") == []


@pytest.mark.parametrize("mode", ["upgrade", "dry_run", "rollback", "prune"])
def test_a_run_refused_at_the_lock_is_journaled_in_every_mode(private_db, mode):
    lock = FileLock(f"{private_db}.safe_migrate.lock")
    with scenario("add_column"):
        engine()[0].upgrade(app_label="scenario", migration_name="0001")
        engine()[0].upgrade()  # a second backup, so prune has one to delete
        lock.acquire(mode="upgrade", maintenance=True, run_id="other")
        try:
            runner = engine(interactive=False)[0]
            call = {
                "upgrade": runner.upgrade,
                "dry_run": runner.dry_run,
                "rollback": runner.rollback,
                "prune": lambda: runner.prune(keep=1),
            }[mode]
            with pytest.raises(Refused, match="holds the lock"):
                call()
        finally:
            lock.release()
    record = journal(private_db)[-1]
    assert record["mode"] == mode.replace("_", "-") and record["outcome"] == "refused"
    assert "holds the lock" in record["error"]


def test_restore_asks_before_taking_the_lock_and_a_no_is_journaled(private_db):
    asked = []

    def confirm(question, **kwargs):
        asked.append(live_holder(f"{private_db}.safe_migrate.lock"))
        return False

    with scenario("add_column"):
        engine()[0].upgrade()
        with pytest.raises(Refused, match="Restore cancelled"):
            engine(confirm=confirm)[0].restore()
    assert asked == [None]  # no lock (so no maintenance) while the operator reads the question
    record = journal(private_db)[-1]
    assert (record["mode"], record["outcome"]) == ("restore", "refused")
    assert record["backup"]["path"] == journal(private_db)[0]["backup"]["path"]


def test_restore_brings_back_the_backup_and_keeps_a_safety_backup(private_db):
    with scenario("add_column"):
        engine()[0].upgrade(app_label="scenario", migration_name="0001")
        engine()[0].upgrade()
        assert "comment" in columns(private_db, "scenario_reading")
        outcome = engine(interactive=False)[0].restore()
    assert "comment" not in columns(private_db, "scenario_reading")
    record = journal(private_db)[-1]
    assert outcome.payload == record
    assert record["outcome"] == "applied" and os.path.exists(record["safety_backup"]["path"])
    assert outcome.state.startswith(f"Database restored from {record['backup']['path']}")


def test_dry_run_leaves_the_database_alone(private_db):
    with scenario("add_column"):
        outcome = engine()[0].dry_run()
    assert outcome.state == "Database unchanged: dry run passed; 2 migration(s) would apply."
    assert columns(private_db, "scenario_reading") == []
    assert journal(private_db)[-1]["outcome"] == "rehearsed"


def test_a_failed_check_after_the_commit_restores_the_backup_and_says_so(private_db, monkeypatch):
    """The verify after COMMIT finds damage: the backup comes back and the state line says so,
    not that migrations were committed."""
    from orb.safemigrate.backends.sqlite import SQLiteBackend

    with scenario("add_column"):
        engine()[0].upgrade(app_label="scenario", migration_name="0001")
        runner, _ = engine()

        def damaged_once_committed(self):  # the live file's check: damage once the column is there
            committed = "comment" in columns(private_db, "scenario_reading")
            return ["*** page 7: damaged (made up by the test)"] if committed else []

        monkeypatch.setattr(SQLiteBackend, "quick_check", damaged_once_committed)
        with pytest.raises(MigrationFailed) as failed:
            runner.upgrade()
    record = journal(private_db)[-1]
    backup = record["backup"]["path"]
    assert failed.value.state == record["state"] == f"Database restored from {backup}."
    assert "comment" not in columns(private_db, "scenario_reading")


def test_the_backup_is_read_back_beside_the_plan_and_one_that_does_not_verify_rolls_it_back(private_db, monkeypatch):
    """The backup's check runs while the plan applies, and COMMIT waits for its verdict: a backup
    that does not verify is never kept, and the plan's transaction is rolled back."""
    import threading

    from django.db.models.signals import post_migrate

    from orb.safemigrate.backends.sqlite import SQLiteBackend

    plan_ran = threading.Event()
    seen = []

    def slow_damaged_verify(self, path):
        seen.append(plan_ran.wait(timeout=30))  # the plan reaches post_migrate while the check runs
        return ["*** page 7: damaged (made up by the test)"]

    def on_post_migrate(**kwargs):
        plan_ran.set()

    with scenario("add_column"):
        engine()[0].upgrade(app_label="scenario", migration_name="0001")
        kept_before = sorted(os.listdir(os.path.dirname(journal(private_db)[-1]["backup"]["path"])))
        monkeypatch.setattr(SQLiteBackend, "verify_backup_file", slow_damaged_verify)
        post_migrate.connect(on_post_migrate, dispatch_uid="test-backup-verdict")
        try:
            with pytest.raises(MigrationFailed, match="did not verify") as failed:
                engine()[0].upgrade()
        finally:
            post_migrate.disconnect(dispatch_uid="test-backup-verdict")
    record = journal(private_db)[-1]
    assert seen == [True]
    assert failed.value.state == record["state"] == "Database unchanged (the transaction was rolled back)."
    assert record["outcome"] == "failed" and record["backup"] is None
    assert "comment" not in columns(private_db, "scenario_reading")
    backup_dir = os.path.dirname(journal(private_db)[-2]["backup"]["path"])
    assert sorted(os.listdir(backup_dir)) == kept_before  # no new backup, partial or sidecar


def test_the_backups_check_gives_the_live_databases_verdict(private_db, monkeypatch):
    """The live file is not read for its own check before an applying run: the backup, a copy of
    every page, is read back and checked before COMMIT, and that verdict stands for both. The live
    file is read once, by the verify after COMMIT."""
    from orb.safemigrate.backends.sqlite import SQLiteBackend

    with scenario("add_column"):
        engine()[0].upgrade(app_label="scenario", migration_name="0001")
        live_checks = []
        real_check = SQLiteBackend.quick_check
        monkeypatch.setattr(
            SQLiteBackend,
            "quick_check",
            lambda self: live_checks.append("comment" in columns(private_db, "scenario_reading")) or real_check(self),
        )
        runner, events = engine()
        runner.upgrade()
    assert live_checks == [True]  # after the commit only
    assert "comment" in columns(private_db, "scenario_reading")
    notes = [event.message for event in events if event.kind == "note"]
    assert any("passed its integrity check (read back in its backup)" in note for note in notes), notes


def test_a_backup_that_fails_because_the_database_is_damaged_is_refused_as_damaged(private_db, monkeypatch):
    """When the backup's check fails, the live file is checked: if it is damaged too the run is
    refused with the damaged database's sentence (exit 3), the plan is rolled back and no copy is
    kept."""
    from orb.safemigrate.backends.sqlite import SQLiteBackend

    damage = ["*** page 7: damaged (made up by the test)"]
    with scenario("add_column"):
        engine()[0].upgrade(app_label="scenario", migration_name="0001")
        kept_before = sorted(os.listdir(os.path.dirname(journal(private_db)[-1]["backup"]["path"])))
        monkeypatch.setattr(SQLiteBackend, "verify_backup_file", lambda self, path: damage)
        monkeypatch.setattr(SQLiteBackend, "quick_check", lambda self: damage)
        with pytest.raises(Refused, match="failed its integrity check") as refused:
            engine()[0].upgrade()
    record = journal(private_db)[-1]
    assert "nothing was changed" in refused.value.message
    assert record["outcome"] == "refused" and record["backup"] is None
    assert "comment" not in columns(private_db, "scenario_reading")
    assert sorted(os.listdir(os.path.dirname(journal(private_db)[-2]["backup"]["path"]))) == kept_before


SMOKE_EVENTS = []


def recording_smoke_check():
    SMOKE_EVENTS.append(("check", threading.current_thread().name))


def _prepare_recording_smoke_check():
    SMOKE_EVENTS.append(("prepare", threading.current_thread().name))


recording_smoke_check.prepare = _prepare_recording_smoke_check


def test_an_applying_run_prepares_the_smoke_checks_in_a_second_thread_first(private_db, settings):
    """A smoke check's ``prepare`` (orb.smoke: templates compiled, URL patterns built) runs in a
    second thread while the run checks the disk and copies the backup, before the check runs inside
    the plan's transaction."""
    settings.ORB_SMOKE_CHECKS = [f"{__name__}.recording_smoke_check"]
    SMOKE_EVENTS.clear()
    with scenario("add_column"):
        engine()[0].upgrade()
    assert [kind for kind, _ in SMOKE_EVENTS] == ["prepare", "check"]
    assert SMOKE_EVENTS[0][1] != SMOKE_EVENTS[1][1] == threading.main_thread().name
