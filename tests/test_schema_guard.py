"""The schema guard (issue 10 item 7): 503 naming the fix while migrations and code disagree.

A real end-to-end run (rollback, live runserver, safe_migrate again) is in
tests/e2e/test_schema_guard.py; these check the comparison and when it is made again.
"""

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from orb import schema_guard
from orb.safemigrate.backends import backend_for


@pytest.fixture(autouse=True)
def fresh_memo():
    """Each test compares afresh, and leaves no remembered mismatch to the tests after it."""
    schema_guard.memo.forget()
    yield
    schema_guard.memo.forget()


@pytest.fixture
def recorder(db):
    return MigrationRecorder(connection)


def leaf(app):
    """The newest migration of ``app`` in the code (this test must not name a fixed one)."""
    [node] = [n for n in MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes() if n[0] == app]
    return node


@pytest.mark.django_db
def test_the_migrated_test_database_matches_the_code(client):
    assert schema_guard.schema_mismatch() is None
    assert client.get("/admin/login/").status_code == 200


def test_pending_migration_answers_503_naming_safe_migrate(client, recorder):
    app, name = leaf("fueltickets")
    recorder.record_unapplied(app, name)
    for path in ("/", "/dashboard/", "/admin/login/"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response["Cache-Control"] == "no-store"
        html = response.content.decode()
        assert "<pre>python manage.py safe_migrate</pre>" in html
        assert f"fueltickets.{name}" in html and "deploy the previous release" in html
        assert "<script" not in html and "<link" not in html


def test_a_gap_below_an_applied_leaf_is_pending_too(recorder):
    recorder.record_unapplied("fueltickets", "0001_initial")  # the plan to the leaves skips it
    mismatch = schema_guard.schema_mismatch()
    assert mismatch == schema_guard.Mismatch("behind", ("fueltickets.0001_initial",))


def test_applied_migration_unknown_to_the_code_answers_503_saying_deploy(client, recorder):
    recorder.record_applied("soundings", "0099_from_a_newer_release")
    mismatch = schema_guard.schema_mismatch()
    assert mismatch == schema_guard.Mismatch("ahead", ("soundings.0099_from_a_newer_release",))
    response = client.get("/dashboard/")
    assert response.status_code == 503
    html = response.content.decode()
    assert "deploy the release of ORB that matches the database" in html
    assert "safe_migrate --rollback" in html and "soundings.0099_from_a_newer_release" in html


def test_rows_of_apps_no_longer_installed_are_not_a_mismatch(recorder):
    recorder.record_applied("an_uninstalled_app", "0001_initial")
    assert schema_guard.schema_mismatch() is None


def test_compared_once_then_again_only_when_the_journal_or_lock_changes(recorder, monkeypatch, tmp_path):
    journal, lock = tmp_path / "db.safe_migrate.journal.jsonl", tmp_path / "db.safe_migrate.lock"
    monkeypatch.setattr(schema_guard, "state_files", lambda conn: (str(journal), str(lock)))
    calls = []
    real = schema_guard.compare
    monkeypatch.setattr(schema_guard, "compare", lambda conn: calls.append(1) or real(conn))

    assert schema_guard.schema_mismatch() is None
    recorder.record_unapplied(*leaf("fueltickets"))  # not through safe_migrate: unseen
    assert schema_guard.schema_mismatch() is None
    assert len(calls) == 1

    lock.write_text("{}")  # a run starts
    assert schema_guard.schema_mismatch().kind == "behind"
    journal.write_text('{"outcome": "applied"}\n')  # ... and ends
    recorder.record_applied(*leaf("fueltickets"))
    assert schema_guard.schema_mismatch() is None
    assert schema_guard.schema_mismatch() is None
    assert len(calls) == 3


def test_a_database_that_cannot_answer_is_not_a_mismatch_and_is_asked_again(db, monkeypatch):
    calls = []

    def broken(conn):
        calls.append(1)
        raise RuntimeError("server closed the connection")

    monkeypatch.setattr(schema_guard, "compare", broken)
    assert schema_guard.schema_mismatch() is None
    assert schema_guard.schema_mismatch() is None
    assert len(calls) == 2


@pytest.mark.django_db
def test_state_files_are_safe_migrates_journal_and_lock(settings, tmp_path):
    settings.ORB_STATE_DIR = str(tmp_path)  # PostgreSQL keeps them there; SQLite beside the file
    backend = backend_for(connection)
    assert schema_guard.state_files(connection) == (backend.journal_path, backend.lock_path)
    assert backend.journal_path.endswith(".safe_migrate.journal.jsonl")


def test_the_page_lists_ten_migrations_and_counts_the_rest():
    mismatch = schema_guard.Mismatch("behind", tuple(f"app.{n:04d}_x" for n in range(13)))
    html = schema_guard.page(mismatch)
    assert "app.0009_x" in html and "app.0010_x" not in html and "and 3 more" in html
    assert "13 migrations not applied" in html
