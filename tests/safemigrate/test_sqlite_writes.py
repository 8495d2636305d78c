"""orb.safemigrate.backends.sqlite_writes: the tables a plan wrote, as SQLite reports them.

The unit tests drive the recorder with SQL on a real file. The ground-truth test runs real plans
through the engine and compares the database file page by page before and after: every page the
run changed belongs to a table (or index of a table) that the in-transaction checks read, or to no
table at all (the free list).
"""

import os
import sqlite3

import pytest
from django.db import connection

from orb.safemigrate import preservation
from orb.safemigrate.backends.sqlite import SQLiteBackend
from orb.safemigrate.backends.sqlite_writes import WriteRecorder
from orb.safemigrate.engine import Engine

from .inprocess import journal, scenario


@pytest.fixture
def db(tmp_path):
    raw = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    raw.executescript(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id), note TEXT);"
        "CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);"
        "CREATE TABLE quiet (id INTEGER PRIMARY KEY);"
        "CREATE TRIGGER parent_audit AFTER UPDATE ON parent BEGIN INSERT INTO audit(what) VALUES ('u'); END;"
        "INSERT INTO parent VALUES (1, 'a');"
        "INSERT INTO child VALUES (1, 1, 'x');"
    )
    yield raw
    raw.close()


def scope_of(raw, *statements):
    recorder = WriteRecorder(raw)
    raw.execute("BEGIN IMMEDIATE")
    for statement in statements:
        raw.execute(statement)
    scope = recorder.scope(raw.cursor())
    raw.execute("ROLLBACK")
    return scope


def test_row_writes_and_the_writes_of_the_triggers_they_fire_are_in_the_scope(db):
    assert scope_of(db, "UPDATE parent SET name = 'b'") == ["audit", "parent", "sqlite_master"]
    assert scope_of(db, "DELETE FROM child") == ["child", "sqlite_master"]
    assert scope_of(db, "WITH x AS (SELECT 2) INSERT INTO quiet SELECT * FROM x") == ["quiet", "sqlite_master"]


def test_a_statement_compiled_before_the_recorder_is_seen_again(db):
    db.execute("INSERT INTO quiet VALUES (?)", (10,))  # compiled and cached by the sqlite3 module
    assert scope_of(db, "SELECT 1") == ["sqlite_master"]
    recorder = WriteRecorder(db)
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO quiet VALUES (?)", (11,))  # the same cached statement
    assert recorder.scope(db.cursor()) == ["quiet", "sqlite_master"]
    db.execute("ROLLBACK")


def test_adding_and_renaming_a_column_change_only_the_schema_but_dropping_one_rewrites_the_table(db):
    assert scope_of(db, "ALTER TABLE child ADD COLUMN extra TEXT") == ["sqlite_master"]
    assert scope_of(db, "ALTER TABLE child RENAME COLUMN note TO remark") == ["sqlite_master"]
    assert scope_of(db, "ALTER TABLE child DROP COLUMN note") == ["child", "sqlite_master"]


def test_indexes_tables_made_and_dropped(db):
    assert scope_of(db, "CREATE INDEX child_note ON child(note)") == ["child", "sqlite_master"]
    assert scope_of(db, "CREATE TABLE fresh (id INTEGER PRIMARY KEY)") == ["fresh", "sqlite_master"]
    # A dropped table has nothing left to read; the tables rebuilt from it are in the scope.
    assert scope_of(
        db,
        "CREATE TABLE new_child (id INTEGER PRIMARY KEY, parent_id INTEGER, note TEXT)",
        "INSERT INTO new_child SELECT * FROM child",
        "DROP TABLE child",
        "ALTER TABLE new_child RENAME TO child",
    ) == ["child", "sqlite_master"]


@pytest.mark.parametrize(
    "statement",
    ["PRAGMA user_version = 7", "PRAGMA writable_schema = 1", "ATTACH DATABASE ':memory:' AS other"],
)
def test_what_the_recorder_cannot_place_means_the_whole_file(db, statement):
    if statement.startswith("ATTACH"):
        recorder = WriteRecorder(db)
        db.execute(statement)
        assert recorder.scope(db.cursor()) is None
        db.execute("DETACH DATABASE other")
    else:
        assert scope_of(db, statement) is None


def test_reading_pragmas_and_connection_settings_leave_the_scope_alone(db):
    assert scope_of(db, "PRAGMA table_info(child)", "PRAGMA foreign_key_check(child)", "PRAGMA foreign_keys = OFF") == [
        "sqlite_master"
    ]


def left_alone(raw, *statements):
    recorder = WriteRecorder(raw)
    raw.execute("BEGIN IMMEDIATE")
    for statement in statements:
        raw.execute(statement)
    recorder.scope(raw.cursor())
    raw.execute("ROLLBACK")
    return recorder.left_alone(["parent", "child", "audit", "quiet"])


def test_tables_left_alone_are_those_no_statement_wrote_altered_or_renamed(db):
    assert left_alone(db, "UPDATE parent SET name = 'b'") == {"child", "quiet"}  # the trigger wrote audit
    assert left_alone(db, "ALTER TABLE child ADD COLUMN extra TEXT") == {"parent", "audit", "quiet"}
    # Two tables swapping names: neither holds what it held under its name before.
    swapped = left_alone(
        db, "ALTER TABLE quiet RENAME TO tmp", "ALTER TABLE audit RENAME TO quiet", "ALTER TABLE tmp RENAME TO audit"
    )
    assert swapped == {"parent", "child"}
    db.execute("CREATE INDEX child_note ON child(note)")
    assert left_alone(db, "REINDEX child_note") == {"parent", "audit", "quiet"}  # an index: its table
    assert left_alone(db, "PRAGMA user_version = 3") == set()  # not placed: everything is counted again


def test_the_recorder_never_refuses_a_statement(db):
    recorder = WriteRecorder(db)
    recorder.tables = None  # a recorder gone wrong: its error must not deny the statement
    db.execute("INSERT INTO quiet VALUES (99)")
    db.execute("SELECT 1")
    assert recorder.unplaced
    db.set_authorizer(None)
    assert db.execute("SELECT count(*) FROM quiet WHERE id = 99").fetchone() == (1,)


# --- ground truth: the pages a real run changed ------------------------------------------------
def _pages(path):
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = raw.execute("PRAGMA page_size").fetchone()[0]
    with open(path, "rb") as handle:
        data = handle.read()
    return size, [data[i : i + size] for i in range(0, len(data), size)]


def _owners(path):
    """page number -> the table owning it (an index's pages belong to its table)."""
    with sqlite3.connect(path) as raw:
        tables = dict(raw.execute("SELECT name, tbl_name FROM sqlite_master"))
        tables["sqlite_schema"] = tables["sqlite_master"] = "sqlite_master"
        return {page: tables.get(name, name) for name, page in raw.execute("SELECT name, pageno FROM dbstat")}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "name",
    ["add_column", "add_default", "data_rows", "irreversible", "rebuild", "remove_column", "rename", "two_steps"],
)
def test_every_page_a_run_changed_belongs_to_a_table_the_checks_read(private_db, name):
    with scenario(name):
        Engine(connection=connection, progress=lambda event: None).upgrade(app_label="scenario", migration_name="0001")
        with sqlite3.connect(private_db) as raw:  # rows for the plan to carry
            raw.executemany(
                "INSERT INTO scenario_reading (name, value, note) VALUES (?, ?, ?)",
                [(f"r{i}", i, "n" * (i % 50)) for i in range(3000)],
            )
        connection.close()
        _, before = _pages(private_db)
        Engine(connection=connection, progress=lambda event: None).upgrade(allow_data_loss=True)
        connection.close()
    record = journal(private_db)[-1]
    assert record["outcome"] == "applied"
    checked = record["checked_tables"]
    assert checked is not None and "sqlite_master" in checked
    _, after = _pages(private_db)
    owners = _owners(private_db)
    changed = [n + 1 for n, page in enumerate(after) if n >= len(before) or page != before[n]]
    outside = {owners[p] for p in changed if p in owners and owners[p] not in checked}
    assert changed and outside == set(), f"{name}: pages changed in tables not checked: {outside}"
    # The tables the plan left alone were counted once, before it: the counts it recorded are
    # the database's own, table by table and column by column.
    counted = preservation.counts_to_json(
        preservation.snapshot(connection, internal_tables=SQLiteBackend.internal_tables)
    )
    connection.close()
    assert record["counts_after"] == counted
    assert os.path.getsize(private_db) > 0
