"""Append-only in the database: triggers that refuse UPDATE and DELETE of the record's rows,
whatever the path (ORM bypasses, raw SQL, another program on the database file).

Refused: a signed ORB entry (drafts stay free; a correction is a signed entry), an entry
review, a page signature, an audit event, and a weekly sounding once it has entries. On
PostgreSQL, TRUNCATE of those tables is refused too. The refusal is an integrity error whose
message starts with ``ORB append-only``.

The triggers are created by migration soundings 0005 and again after every migration
(``install`` from the post_migrate receiver in soundings.apps): a SQLite table rebuild
(Django's way to alter a column) drops a table's triggers with the old table.
``missing(connection)`` names any that are not there (manage.py verify_orb reports them).

Triggers guard against accidents and ORM bypasses; anyone with SQL access can drop one.
The hash chain (soundings.chain) is the evidence against deliberate tampering.

Test-only bypass: when settings.ORB_GUARD_TEST_BYPASS is true (only tests/conftest.py sets
it), the triggers also let a statement through while the table ``soundings_guard_bypass``
holds a row; ``test_bypass`` fills it around Django's flush between transactional tests.
Without that setting the triggers have no such clause and the table is never created, so a
production database cannot be switched off that way. docs/RECORD.md, "For developers".
"""

from contextlib import contextmanager

from django.conf import settings
from django.db.migrations.recorder import MigrationRecorder

MIGRATION = ("soundings", "0005_append_only_triggers")
BYPASS_TABLE = "soundings_guard_bypass"
PREFIX = "orb_guard_"

# table -> (condition on OLD that makes a row protected (SQL, both vendors) or None for every row, what)
PROTECTED = {
    "soundings_orbentry": (
        "OLD.state = 'signed'",
        "a signed ORB entry is never changed or deleted; record a correction",
    ),
    "soundings_entryreview": (None, "an entry review is never changed or deleted"),
    "soundings_pagesignature": (None, "a page signature is never changed or deleted"),
    "soundings_auditevent": (None, "the audit trail is never changed or deleted"),
    "soundings_weeklysounding": (
        "EXISTS (SELECT 1 FROM soundings_orbentry WHERE sounding_id = OLD.id)",
        "a weekly sounding with ORB entries is never changed or deleted",
    ),
}
OPERATIONS = ("update", "delete")


def test_bypass_enabled():
    return bool(getattr(settings, "ORB_GUARD_TEST_BYPASS", False))


def trigger_names(vendor):
    names = [f"{PREFIX}{table}_{op}" for table in PROTECTED for op in OPERATIONS]
    if vendor == "postgresql":
        names += [f"{PREFIX}{table}_truncate" for table in PROTECTED]
    return names


def _bypass_clause():
    return f"NOT EXISTS (SELECT 1 FROM {BYPASS_TABLE})" if test_bypass_enabled() else None


def _message(what):
    return f"ORB append-only: {what}."


def _sqlite_statements():
    bypass = _bypass_clause()
    statements = []
    if bypass:
        statements.append(f"CREATE TABLE IF NOT EXISTS {BYPASS_TABLE} (active integer)")
    for table, (condition, what) in PROTECTED.items():
        for op in OPERATIONS:
            conditions = [c for c in (condition, bypass) if c]
            when = f" WHEN {' AND '.join(conditions)}" if conditions else ""
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {PREFIX}{table}_{op} BEFORE {op.upper()} ON {table} "
                f"FOR EACH ROW{when} BEGIN SELECT RAISE(ABORT, '{_message(what)}'); END"
            )
    return statements


def _pg_function(name, condition, what, row_level):
    """A plpgsql trigger function: let the row (or statement) through, or refuse it."""
    let_through = "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;" if row_level else "RETURN NULL;"
    checks = []
    if test_bypass_enabled():
        checks.append(f"IF EXISTS (SELECT 1 FROM {BYPASS_TABLE}) THEN {let_through} END IF;")
    if condition and row_level:
        checks.append(f"IF NOT ({condition}) THEN {let_through} END IF;")
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {' '.join(checks)} "
        f"RAISE EXCEPTION '{_message(what)}' USING ERRCODE = 'integrity_constraint_violation'; END $$"
    )


def _pg_statements():
    statements = []
    if test_bypass_enabled():
        statements.append(f"CREATE TABLE IF NOT EXISTS {BYPASS_TABLE} (active integer)")
    for table, (condition, what) in PROTECTED.items():
        row_fn, stmt_fn = f"{PREFIX}{table}_row", f"{PREFIX}{table}_statement"
        statements.append(_pg_function(row_fn, condition, what, row_level=True))
        statements.append(_pg_function(stmt_fn, None, what, row_level=False))
        for op in OPERATIONS:
            statements.append(
                f"CREATE OR REPLACE TRIGGER {PREFIX}{table}_{op} BEFORE {op.upper()} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {row_fn}()"
            )
        statements.append(
            f"CREATE OR REPLACE TRIGGER {PREFIX}{table}_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {stmt_fn}()"
        )
    return statements


def statements(vendor):
    if vendor == "sqlite":
        return _sqlite_statements()
    if vendor == "postgresql":
        return _pg_statements()
    raise NotImplementedError(f"No append-only triggers for the {vendor} database backend.")


def install(connection):
    """Create the triggers (and, in tests only, the bypass table); existing ones are kept (SQLite)
    or replaced (PostgreSQL)."""
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor):
            cursor.execute(sql)


def uninstall(connection):
    with connection.cursor() as cursor:
        for name in trigger_names(connection.vendor):
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        if connection.vendor == "postgresql":
            for table in PROTECTED:
                for suffix in ("row", "statement"):
                    cursor.execute(f"DROP FUNCTION IF EXISTS {PREFIX}{table}_{suffix}() CASCADE")


def installed(connection):
    """The names of the guard triggers present in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [PREFIX + "%"])
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s "
                "AND pg_catalog.pg_table_is_visible(tgrelid)",
                [PREFIX + "%"],
            )
        return {row[0] for row in cursor.fetchall()}


def expected(connection):
    """The triggers this database should have: all once migration 0005 is applied, else none."""
    if MIGRATION not in MigrationRecorder(connection).applied_migrations():
        return []
    return trigger_names(connection.vendor)


def missing(connection):
    present = installed(connection)
    return [name for name in expected(connection) if name not in present]


# Triggers whose body reads another table: SQLite refuses to rename a table in a rebuild while a
# trigger names a table that is missing at that moment (soundings_orbentry, between its DROP and
# the RENAME of its rebuilt copy), so these are dropped before a migration run and put back after.
CROSS_TABLE = [f"{PREFIX}soundings_weeklysounding_{op}" for op in OPERATIONS]


def drop_before_migrate(connection):
    """pre_migrate (SQLite): drop the cross-table triggers so a table rebuild can rename."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in CROSS_TABLE:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def reinstall_after_migrate(connection):
    """post_migrate: put back any trigger a migration dropped (only when 0005 is applied)."""
    if expected(connection):
        install(connection)


@contextmanager
def test_bypass(connection):
    """Tests only: let Django's flush empty the protected tables (see the module docstring)."""
    if not test_bypass_enabled():
        raise RuntimeError("The append-only guard's bypass exists only in the test settings.")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {BYPASS_TABLE} (active integer)")
        cursor.execute(f"INSERT INTO {BYPASS_TABLE} (active) VALUES (1)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {BYPASS_TABLE}")


def lock_book(connection):
    """Serialise signers within the transaction: PostgreSQL takes a transaction-level advisory
    lock; SQLite needs nothing (one writer at a time)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x0B0_0B00C])
