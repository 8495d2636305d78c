"""``safe_migrate`` in-process through ``call_command``: exit statuses as CommandError.returncode
(the runbook's 0/1/2/3), the state line last, one JSON document with --json, system checks."""

import pytest
from django.core import checks

from .inprocess import columns, journal, run, scenario

pytestmark = pytest.mark.django_db(transaction=True)


def test_upgrade_then_nothing_to_do_then_rollback(private_db):
    with scenario("add_column"):
        first = run("--noinput")
        assert first.code == 0, first.stderr
        assert first.last_line.startswith("Database upgraded: 2 migrations applied; backup ")
        assert "comment" in columns(private_db, "scenario_reading")
        again = run("--noinput")
        assert again.code == 0 and again.last_line == "Database unchanged: no migrations to apply."
        back = run("--rollback", "--noinput")
        assert back.code == 0, back.stderr
        assert back.last_line.startswith("Database rolled back: 2 migrations undone")
    assert columns(private_db, "scenario_reading") == []
    assert [(r["mode"], r["outcome"]) for r in journal(private_db)] == [
        ("upgrade", "applied"),
        ("upgrade", "nothing-to-do"),
        ("rollback", "applied"),
    ]


def test_nothing_to_roll_back_is_exit_0(private_db):
    result = run("--rollback", "--noinput")
    assert result.code == 0
    assert result.last_line.startswith("Database unchanged: nothing to roll back")


def test_an_irreversible_rollback_is_refused_with_3_and_the_state_line_last(private_db):
    with scenario("irreversible"):
        assert run("--noinput").code == 0
        result = run("--rollback", "--noinput")
    assert result.code == 3
    assert "cannot be undone" in result.stderr
    assert result.last_line == "Database unchanged."
    assert journal(private_db)[-1]["outcome"] == "refused"


def test_a_failing_migration_is_exit_1_and_the_database_is_unchanged(private_db):
    with scenario("fail_always"):
        result = run("--noinput")
    assert result.code == 1
    assert result.last_line == "Database unchanged (the transaction was rolled back)."
    assert columns(private_db, "scenario_reading") == []
    assert journal(private_db)[-1]["outcome"] == "failed"


def test_usage_errors_are_exit_2_without_a_commanderror_line(private_db):
    result = run("--plan", "--status")
    assert result.code == 2
    assert "Choose one mode at a time, not --plan and --status." in result.stderr
    assert "CommandError" not in result.stderr
    assert journal(private_db) == []


def test_json_is_one_document_on_stdout(private_db):
    with scenario("add_column"):
        result = run("--noinput", "--json")
    assert result.code == 0
    record = result.json()
    assert record["mode"] == "upgrade" and record["outcome"] == "applied"
    assert record == journal(private_db)[-1] | {"warnings": record["warnings"]}
    refused = run("--plan", "--status", "--json")
    assert refused.code == 2 and refused.json()["exit_code"] == 2


def test_read_only_modes(private_db):
    with scenario("add_column"):
        plan = run("--plan", "--json")
        assert plan.code == 0
        assert [s["migration"] for s in plan.json()["steps"]] == [
            "scenario.0001_initial",
            "scenario.0002_reading_comment",
        ]
        status = run("--status")
        assert status.code == 0 and "scenario: 0 applied, 2 pending" in status.stdout
        assert run("--history").code == 0
        assert run("--list-backups").code == 0


@pytest.fixture
def failing_check():
    def check(app_configs=None, **kwargs):
        return [checks.Error("a broken setting\nover two lines", id="orb.E999", hint="fix it")]

    checks.register(check)
    yield
    checks.registry.registry.registered_checks.discard(check)


def test_a_failing_system_check_is_refused_in_one_line(private_db, failing_check):
    result = run("--status", skip_checks=False)
    assert result.code == 3
    assert "Django's system checks found an error: (orb.E999) a broken setting over two lines;" in result.stderr
    assert "Traceback" not in result.stderr and "SystemCheckError" not in result.stderr
    assert run("--status").code == 0  # call_command skips the checks unless asked, as for migrate


def test_an_unexpected_error_is_one_sentence_and_traceback_shows_its_cause(private_db, monkeypatch):
    from orb.safemigrate.engine import Engine

    def broken(self, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(Engine, "upgrade", broken)
    quiet = run("--noinput")
    assert quiet.code == 1
    assert "unexpected error (RuntimeError: a bug)" in quiet.stderr and "Traceback" not in quiet.stderr
    loud = run("--noinput", traceback=True)
    assert loud.code == 1 and "Traceback" in loud.stderr
    assert loud.last_line.startswith("Database unchanged")
