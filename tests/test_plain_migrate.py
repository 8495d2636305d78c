"""Plain ``migrate``: which databases count as test databases, and the refusal (issue 10 item 6).

The subprocess runs on real SQLite and PostgreSQL databases are in tests/e2e/test_plain_migrate.py.
"""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper as PgWrapper
from django.db.backends.sqlite3.base import DatabaseWrapper as SqliteWrapper

from orb.management.commands import migrate as plain


def wrapper(cls, name, test_name=None):
    return cls({"NAME": name, "TEST": {"NAME": test_name}, "OPTIONS": {}}, "default")


@pytest.mark.parametrize(
    "cls, name, test_name, expected",
    [
        # The ship's file: never a test database, whatever its name looks like.
        (SqliteWrapper, "/srv/orb/data/orb.db", None, False),
        (SqliteWrapper, "/srv/orb/data/test_orb.db", None, False),
        (SqliteWrapper, "/srv/orb/data/orb.db", "/tmp/orb-test.sqlite3", False),
        # What Django's create_test_db points the connection at before it calls migrate.
        (SqliteWrapper, "/tmp/orb-test.sqlite3", "/tmp/orb-test.sqlite3", True),
        (SqliteWrapper, "file:memorydb_default?mode=memory&cache=shared", None, True),
        (SqliteWrapper, ":memory:", None, True),
        (PgWrapper, "orb", None, False),
        (PgWrapper, "test_orb", None, True),
        (PgWrapper, "test_orb", "orb_ci", False),  # an explicit TEST NAME wins over the prefix
        (PgWrapper, "orb_ci", "orb_ci", True),
    ],
)
def test_is_test_database(cls, name, test_name, expected):
    assert plain.is_test_database(wrapper(cls, name, test_name)) is expected


@pytest.mark.django_db
def test_migrate_runs_on_the_test_database_in_process():
    assert plain.is_test_database(connection)
    call_command("migrate", verbosity=0)  # nothing pending; must not be refused


def test_refusal_is_one_sentence_with_exit_status_2(monkeypatch):
    monkeypatch.setattr(plain, "is_test_database", lambda conn: False)
    monkeypatch.delenv(plain.ALLOW_VARIABLE, raising=False)
    with pytest.raises(CommandError) as caught:
        call_command("migrate", verbosity=0)
    assert caught.value.returncode == 2
    message = str(caught.value)
    assert message.count(". ") == 0 and message.endswith(".")
    assert "python manage.py safe_migrate" in message and "ORB_ALLOW_PLAIN_MIGRATE=1" in message


@pytest.mark.parametrize("value, allowed", [("1", True), ("yes", True), ("0", False), ("", False)])
def test_allowed_by_environment(monkeypatch, value, allowed):
    monkeypatch.setenv(plain.ALLOW_VARIABLE, value)
    assert plain.allowed_by_environment() is allowed
