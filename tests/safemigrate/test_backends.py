"""The backend interface (issue 12): what the engine calls is declared on ``base.Backend`` and
implemented by both backends, and nothing outside ``orb/safemigrate/backends`` names a vendor."""

import ast
import inspect
import io
import tokenize
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection, connections

from orb.safemigrate import backends
from orb.safemigrate.backends.base import Backend
from orb.safemigrate.backends.postgresql import PostgreSQLBackend
from orb.safemigrate.backends.sqlite import SQLiteBackend

ORB = Path(__file__).resolve().parents[2] / "orb"
BACKENDS = ORB / "safemigrate" / "backends"
# A capability a backend may lack: a byte copy of a damaged database needs local files.
OPTIONAL = {"raw_files"}


def engine_modules():
    return [path for path in ORB.rglob("*.py") if BACKENDS not in path.parents]


def attributes_called_on_a_backend():
    """Every ``backend.X`` and ``self.backend.X`` in the code outside the backends."""
    names = set()
    for path in engine_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            owner = node.value
            if (isinstance(owner, ast.Name) and owner.id == "backend") or (
                isinstance(owner, ast.Attribute) and owner.attr == "backend"
            ):
                names.add(node.attr)
    return names


def declared(name):
    instance = Backend(SimpleNamespace(alias="default"))
    return name in dir(Backend) or name in vars(instance)


def abstract_names():
    """The members of base.Backend that only raise NotImplementedError."""
    names = set()
    for name, member in vars(Backend).items():
        func = member.fget if isinstance(member, property) else member
        func = getattr(func, "__func__", func)
        if callable(func) and "raise NotImplementedError" in inspect.getsource(func):
            names.add(name)
    return names


def test_every_attribute_the_engine_uses_is_declared_on_the_base_class():
    used = attributes_called_on_a_backend()
    assert {"table_rows", "lock_holder", "check_writable", "run_lock"} <= used
    assert sorted(name for name in used if not declared(name)) == []


@pytest.mark.parametrize("cls", [SQLiteBackend, PostgreSQLBackend])
def test_both_backends_implement_every_abstract_member(cls):
    missing = [name for name in sorted(abstract_names() - OPTIONAL) if getattr(cls, name) is getattr(Backend, name)]
    assert missing == []


def test_the_base_class_declares_the_members_the_engine_used_to_reach_around_it():
    for name in (
        "table_rows",
        "lock_holder",
        "maintenance_active",
        "internal_tables",
        "backup_errors",
        "raw_files",
        "integrity_problems_in_transaction",
        "foreign_key_problems_in_transaction",
        "fire_deferred_constraints",
        "is_test_database",
        "configure_connection",
        "prepare_settings",
    ):
        assert declared(name), name


def identifiers(path):
    """The names in ``path``'s code (comments, docstrings and other strings left out)."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return {token.string.lower() for token in tokens if token.type == tokenize.NAME}


def test_no_code_outside_the_backends_names_a_database_vendor():
    vendors = ("sqlite", "postgres", "psycopg", "vendor")
    named = sorted(
        f"{path.relative_to(ORB.parent)}: {name}"
        for path in engine_modules()
        for name in identifiers(path)
        if any(vendor in name for vendor in vendors)
    )
    assert named == []


def test_the_sqlite_settings_defaults(tmp_path):
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "new" / "orb.db")}
    backends.prepare_database_settings(database)
    assert (tmp_path / "new").is_dir()
    assert database["OPTIONS"] == {"timeout": 20} and database["TEST"] == {}
    other = {"ENGINE": "django.db.backends.postgresql", "NAME": "orb"}
    backends.prepare_database_settings(other)
    assert other == {"ENGINE": "django.db.backends.postgresql", "NAME": "orb"}


def test_the_default_database_url_is_the_embedded_file(tmp_path):
    assert backends.embedded_database_url(tmp_path / "orb.db") == f"sqlite:///{tmp_path / 'orb.db'}"


@pytest.mark.django_db
def test_the_middlewares_backend_is_kept_per_alias_until_the_database_changes():
    first = backends.cached_backend("default")
    assert first is not None and first is backends.cached_backend("default")
    assert first.connection is connections["default"]
    original = connection.settings_dict["NAME"]
    try:
        connection.settings_dict["NAME"] = str(original) + "-other"
        assert backends.cached_backend("default") is not first
    finally:
        connection.settings_dict["NAME"] = original
    assert backends.maintenance_active("default") is False


@pytest.mark.sqlite_file
@pytest.mark.django_db
def test_every_sqlite_connection_gets_wal_and_the_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite connection settings")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20_000


def test_sqlite_in_transaction_checks_find_orphans(tmp_path):
    import sqlite3

    path = tmp_path / "orb.db"
    raw = sqlite3.connect(path)
    raw.executescript(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));"
        "INSERT INTO child VALUES (1, 99);"
    )

    class Wrapper:
        alias = "default"
        settings_dict = {"NAME": str(path)}

        def cursor(self):
            return _Closing(raw.cursor())

    backend = SQLiteBackend(Wrapper())
    assert backend.integrity_problems_in_transaction() == []
    [problem] = backend.foreign_key_problems_in_transaction()
    assert problem == "1 row(s) point at missing rows, e.g. child rowid 1 -> parent"
    raw.close()


class _Closing:
    def __init__(self, cursor):
        self.cursor = cursor

    def __enter__(self):
        return self.cursor

    def __exit__(self, *exc):
        self.cursor.close()


def test_sqlite_scoped_checks_read_the_tables_named_and_those_referencing_them(tmp_path):
    # Issue 17: inside the transaction the checks read the tables the plan wrote. A damaged table
    # in that scope is found; a parent in the scope brings in the tables that reference it.
    import sqlite3

    path = tmp_path / "orb.db"
    raw = sqlite3.connect(path)
    raw.executescript(
        "CREATE TABLE written (a TEXT); CREATE TABLE untouched (a TEXT);"
        "INSERT INTO written VALUES (NULL); INSERT INTO untouched VALUES (NULL);"
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES Parent(id));"
        "INSERT INTO child VALUES (1, 99);"
        # A NULL under NOT NULL: what quick_check reports, made here by editing the schema's text.
        "PRAGMA writable_schema = ON;"
        "UPDATE sqlite_master SET sql = replace(sql, 'a TEXT', 'a TEXT NOT NULL') WHERE type = 'table';"
        "PRAGMA writable_schema = OFF;"
    )
    raw.close()
    raw = sqlite3.connect(path)

    class Wrapper:
        alias = "default"
        settings_dict = {"NAME": str(path)}

        def cursor(self):
            return _Closing(raw.cursor())

    backend = SQLiteBackend(Wrapper())
    [damaged] = backend.integrity_problems_in_transaction(["sqlite_master", "written"])
    assert "written" in damaged and "untouched" not in damaged
    assert backend.integrity_problems_in_transaction(["parent", "sqlite_master"]) == []
    assert len(backend.integrity_problems_in_transaction()) == 2  # the whole file: both tables
    orphans = "1 row(s) point at missing rows, e.g. child rowid 1 -> Parent"  # as REFERENCES spells it
    assert backend.foreign_key_problems_in_transaction(["parent"]) == [orphans]
    assert backend.foreign_key_problems_in_transaction(["written", "sqlite_master"]) == []
    raw.close()
