"""Recognising the Flask tool's file and reading it read-only (orb.flask_import.oldfile)."""

import hashlib
import sqlite3

import pytest

from orb.flask_import.oldfile import NotAnOldFile, open_old_file

from . import oldschema


@pytest.mark.parametrize("age", ["oldest", "later", "latest"])
def test_each_installation_age_is_recognised_and_left_byte_identical(tmp_path, age):
    path = tmp_path / "orb.db"
    expected = oldschema.write(str(path), age=age)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    old = open_old_file(str(path))
    try:
        assert old.age == age and old.sha256 == before and old.revision == oldschema.REVISIONS[age]
        assert set(old.tables) == set(expected.rows)
        assert {t: old.count(t) for t in old.tables} == expected.rows
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            old.connection.execute("DELETE FROM weekly_soundings")
    finally:
        old.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orb.db"]  # no journal or WAL left beside it


def test_a_table_without_a_column_the_importer_reads_is_refused(tmp_path):
    path = tmp_path / "orb.db"
    oldschema.write(str(path), age="oldest")
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE orb_entries DROP COLUMN created_at")
    conn.close()
    with pytest.raises(NotAnOldFile, match="orb_entries has no column created_at"):
        open_old_file(str(path))


def test_not_a_database_and_another_database_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello\n" * 500)
    with pytest.raises(NotAnOldFile, match="is not a database file"):
        open_old_file(str(text))
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
    conn.close()
    with pytest.raises(NotAnOldFile, match="no weekly_soundings, orb_entries table"):
        open_old_file(str(other))
