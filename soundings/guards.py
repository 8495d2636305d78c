"""Append-only in the database: triggers that refuse UPDATE and DELETE of the record's rows,
whatever the path (ORM bypasses, raw SQL, another program on the database file).

Refused: a signed ORB entry (drafts stay free; a correction is a signed entry), an entry
review, a page signature, an audit event, and a weekly sounding or a sludge disposal once it
has entries. Where the
database has TRUNCATE, that is refused too. The refusal is an integrity error whose message
starts with ``ORB append-only``.  This module says what is protected (``RowGuard``s); the
database backend (orb.safemigrate.backends) writes the triggers in its own SQL.

The triggers are created by migration soundings 0005 and again after every migration
(``install`` from the post_migrate receiver in soundings.apps): a table rebuild (Django's way
to alter a column on the embedded database) drops a table's triggers with the old table.
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

from orb.safemigrate.backends import backend_class
from orb.safemigrate.backends.row_guards import RowGuard

MIGRATION = ("soundings", "0005_append_only_triggers")
BYPASS_TABLE = "soundings_guard_bypass"
PREFIX = "orb_guard_"
BOOK_LOCK_KEY = 0x0B00B00C  # signers of the book take the next sequence one at a time

# table -> (condition on OLD that makes a row protected, or None for every row; what is refused)
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
    # Added by migration 0007 (issue 14); its triggers exist once the table does.
    "soundings_sludgedisposal": (
        "EXISTS (SELECT 1 FROM soundings_orbentry WHERE disposal_id = OLD.id)",
        "a sludge disposal with ORB entries is never changed or deleted",
    ),
}
# The columns each table had when the guard was made (migration 0005): an UPDATE that sets any
# of them is refused. A column a later migration adds is not in the list, so that migration may
# fill it for signed rows; the hash chain covers the signed content, not such columns.
GUARDED_COLUMNS = {
    "soundings_orbentry": (
        "id", "created_at", "created_by_id", "entry_date", "instant", "ship_offset_minutes", "code", "item", "text",
        "sounding_id", "officer_name", "officer_rank", "state", "sequence", "signed_by_id", "signer_name",
        "signer_rank", "signed_at", "signed_offset_minutes", "is_late", "legacy", "corrects_id", "correction_reason",
        "signed_content", "entry_hash",
    ),
    "soundings_entryreview": (
        "id", "created_at", "created_by_id", "entry_id", "reviewer_name", "reviewer_rank", "reviewed_at",
    ),
    "soundings_pagesignature": (
        "id", "page_number", "first_sequence", "last_sequence", "chain_head", "master_id", "master_name",
        "master_rank", "signed_at", "signed_offset_minutes",
    ),
    "soundings_auditevent": (
        "id", "at", "user_id", "username", "action", "model", "object_id", "old", "new", "note",
    ),
    "soundings_weeklysounding": (
        "id", "created_at", "created_by_id", "tank_id", "recorded_at", "feet", "inches", "engineer_name",
        "engineer_title", "manual_collection_m3", "gallons", "m3",
    ),
    "soundings_sludgedisposal": (
        "id", "created_at", "created_by_id", "method", "tank_id", "instant", "quantity_m3", "facility",
        "receipt_reference", "to_tank_id", "hours", "other_method", "engineer_name", "engineer_title",
    ),
}  # fmt: skip
# Guards whose condition reads another table (a rebuild of that table must not find them).
READS_OTHER_TABLES = {"soundings_weeklysounding", "soundings_sludgedisposal"}
GUARDS = [
    RowGuard(
        table=table,
        condition=condition,
        message=f"ORB append-only: {what}.",
        prefix=PREFIX,
        reads_other_tables=table in READS_OTHER_TABLES,
        columns=GUARDED_COLUMNS[table],
    )  # fmt: skip
    for table, (condition, what) in PROTECTED.items()
]


def test_bypass_enabled():
    return bool(getattr(settings, "ORB_GUARD_TEST_BYPASS", False))


def _backend(connection):
    return backend_class(connection.vendor)


def present_guards(connection):
    """The guards whose table exists: a table a later migration adds (and a backwards migration
    removes) has its triggers only while it is there."""
    tables = set(connection.introspection.table_names())
    return [guard for guard in GUARDS if guard.table in tables]


def trigger_names(connection):
    return _backend(connection).guard_trigger_names(present_guards(connection))


def statements(connection):
    bypass = BYPASS_TABLE if test_bypass_enabled() else None
    return _backend(connection).guard_statements(present_guards(connection), bypass_table=bypass)


def install(connection):
    """Create the triggers (and, in tests only, the bypass table); existing ones are kept or
    replaced."""
    with connection.cursor() as cursor:
        for sql in statements(connection):
            cursor.execute(sql)


def uninstall(connection):
    with connection.cursor() as cursor:
        for sql in _backend(connection).guard_drop_statements(GUARDS):
            cursor.execute(sql)


def installed(connection):
    """The names of the guard triggers present in the database."""
    with connection.cursor() as cursor:
        return _backend(connection).installed_triggers(cursor, prefix=PREFIX)


def expected(connection):
    """The triggers this database should have: all once migration 0005 is applied, else none."""
    if MIGRATION not in MigrationRecorder(connection).applied_migrations():
        return []
    return trigger_names(connection)


def missing(connection):
    present = installed(connection)
    return [name for name in expected(connection) if name not in present]


def drop_before_migrate(connection):
    """pre_migrate: drop the triggers the backend says would stop a table rebuild (put back by
    ``reinstall_after_migrate``)."""
    with connection.cursor() as cursor:
        for sql in _backend(connection).guard_drops_before_migration(present_guards(connection)):
            cursor.execute(sql)


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
    """Serialise signers within the transaction (the backend's way: an advisory lock, or
    nothing where one writer at a time is the rule)."""
    with connection.cursor() as cursor:
        _backend(connection).serialize_transaction(cursor, key=BOOK_LOCK_KEY)
