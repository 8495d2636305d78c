"""The database's refusal of raw SQL goes to the audit trail (issue 13, soundings.refusals).

A program on this project's connections (here ``manage.py shell``) tries to rewrite and delete a
signed entry with raw SQL, once in autocommit and once inside a transaction it then rolls back.
The triggers refuse both; afterwards the database holds the entry unchanged and one
``refused-change`` audit row per refused statement, naming the statement and the program."""

import sqlite3

import pytest

from .test_book_guard import sign_entries

pytestmark = pytest.mark.e2e

TAMPER = """
from django.db import IntegrityError, connection, transaction
try:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE soundings_orbentry SET text = 'rewritten' WHERE sequence = 1")
except IntegrityError as error:
    print("refused in autocommit:", error)
try:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM soundings_orbentry")
            cursor.execute("DELETE FROM soundings_orbentry WHERE sequence = 2")
except IntegrityError as error:
    print("refused in a transaction:", error)
"""

AUDIT = "SELECT model, note FROM soundings_auditevent WHERE action = 'refused-change' ORDER BY id"
ENTRIES = "SELECT sequence, text FROM soundings_orbentry WHERE state = 'signed' ORDER BY sequence"


def _check(run, rows):
    sign_entries(run.__self__)
    before = rows(ENTRIES)
    assert rows(AUDIT) == []

    result = run("shell", "-c", TAMPER)

    assert result.returncode == 0, result.stderr
    assert "refused in autocommit: ORB append-only" in result.stdout, result.stdout
    assert "refused in a transaction: ORB append-only" in result.stdout, result.stdout
    assert rows(ENTRIES) == before
    refusals = rows(AUDIT)
    assert [model for model, _ in refusals] == ["soundings.orbentry", "soundings.orbentry"], refusals
    update, delete = (note for _, note in refusals)
    assert update.startswith("refused by the database: ORB append-only: a signed ORB entry is never changed")
    assert "UPDATE soundings_orbentry SET text = 'rewritten' WHERE sequence = 1" in update
    assert "DELETE FROM soundings_orbentry WHERE sequence = 2" in delete
    assert "manage.py shell" in update, update


def test_raw_sql_refused_by_the_sqlite_triggers_is_audited(project):
    def rows(query):
        with sqlite3.connect(project.db) as db:
            return [tuple(row) for row in db.execute(query)]

    _check(project.run, rows)


@pytest.mark.postgres
def test_raw_sql_refused_by_the_postgresql_triggers_is_audited(pg):
    _check(pg.run, lambda query: [tuple(row) for row in pg.rows(query)])
