"""Which tables a plan wrote, as SQLite itself reports them: its authorizer.

SQLite calls a connection's authorizer while it compiles each statement, once for every table the
statement will insert into, update or delete from, and for every schema change; also for the
statements of the triggers the statement fires (``sqlite3_set_authorizer``; setting it expires the
statements already compiled, so cached ones are compiled again and seen). So the recorder sees
Django's schema editor, ``RunSQL``, ``RunPython``'s ORM and raw cursors, the post_migrate handlers
and triggers alike, without parsing any SQL.

The in-transaction checks then read the tables the plan wrote (``PRAGMA quick_check(TABLE)`` reads
a table and its indexes) instead of the whole file. Anything the recorder cannot place (a pragma
that writes, ATTACH, a virtual table, an action it does not know) makes the scope ``None``: the
whole file is checked, as before.
"""

import sqlite3

_ROW_WRITES = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}  # arg1: the table
_SCHEMA_ONLY = {
    sqlite3.SQLITE_CREATE_TRIGGER,
    sqlite3.SQLITE_DROP_TRIGGER,
    sqlite3.SQLITE_CREATE_VIEW,
    sqlite3.SQLITE_DROP_VIEW,
}
_TEMP = {
    sqlite3.SQLITE_CREATE_TEMP_INDEX,
    sqlite3.SQLITE_CREATE_TEMP_TABLE,
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER,
    sqlite3.SQLITE_CREATE_TEMP_VIEW,
    sqlite3.SQLITE_DROP_TEMP_INDEX,
    sqlite3.SQLITE_DROP_TEMP_TABLE,
    sqlite3.SQLITE_DROP_TEMP_TRIGGER,
    sqlite3.SQLITE_DROP_TEMP_VIEW,
}
_HARMLESS = {
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_TRANSACTION,
    sqlite3.SQLITE_SAVEPOINT,
    sqlite3.SQLITE_RECURSIVE,
}
# Pragmas that only read, whether or not they are given an argument (a table, a number of errors).
_PRAGMAS_READING = {
    *("table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo"),
    *("foreign_key_list", "foreign_key_check", "quick_check", "integrity_check"),
}
# Pragmas that read when asked without an argument (with one, some write the file's header).
_PRAGMAS_QUERYING = {
    *("database_list", "compile_options", "page_size", "page_count", "freelist_count", "data_version"),
    *("schema_version", "user_version", "application_id", "collation_list", "function_list", "pragma_list"),
    "journal_mode",
}
# Pragmas that set a property of this connection, not of the file.
_PRAGMAS_SETTING_CONNECTION = {
    *("foreign_keys", "legacy_alter_table", "defer_foreign_keys", "busy_timeout", "cache_size"),
    *("temp_store", "cache_spill", "case_sensitive_like", "recursive_triggers", "query_only"),
}
SCHEMA_TABLE = "sqlite_master"
SEQUENCE_TABLE = "sqlite_sequence"


class WriteRecorder:
    """Installed on a raw sqlite3 connection for the plan; ``scope()`` ends the recording."""

    def __init__(self, raw_connection):
        self._raw = raw_connection
        self.tables = set()  # tables whose rows or b-trees the plan wrote (created ones too)
        self.indexes = set()  # indexes rebuilt by name (REINDEX, CREATE INDEX), placed at scope()
        self.altered = set()  # tables an ALTER TABLE changed the schema of (added or renamed a column, renamed)
        self.unplaced = None  # the first action that made the scope the whole file
        raw_connection.set_authorizer(self._authorize)

    def _authorize(self, action, arg1, arg2, db_name, trigger):
        # Never raise, never deny: an authorizer's error would refuse the statement itself.
        try:
            self._note(action, arg1, arg2, db_name)
        except Exception as exc:  # noqa: BLE001 - whatever it is, check the whole file
            self.unplaced = self.unplaced or f"recorder error {exc!r}"
        return sqlite3.SQLITE_OK

    def _note(self, action, arg1, arg2, db_name):
        if action in _HARMLESS or action in _TEMP or action in _SCHEMA_ONLY:
            return
        if action in _ROW_WRITES:
            if db_name != "temp":
                self.tables.add(arg1)
        elif action in (sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_DROP_TABLE):
            self.tables.add(arg1)
        elif action in (sqlite3.SQLITE_CREATE_INDEX, sqlite3.SQLITE_DROP_INDEX):
            self.tables.add(arg2)
        elif action == sqlite3.SQLITE_ALTER_TABLE:
            # arg1 is the schema, arg2 the table, and the third a column name, given by DROP COLUMN
            # alone (it rewrites every row); ADD COLUMN and RENAME change only the schema's text.
            if arg1 != "temp":
                self.altered.add(arg2)
                if db_name is not None:
                    self.tables.add(arg2)
        elif action == sqlite3.SQLITE_REINDEX:
            self.indexes.add(arg1)
        elif action == sqlite3.SQLITE_ANALYZE:
            self.tables.update({"sqlite_stat1", "sqlite_stat4"})
        elif action == sqlite3.SQLITE_PRAGMA:
            self._note_pragma(arg1, arg2)
        else:  # ATTACH, DETACH, virtual tables, an action this SQLite added later
            self.unplaced = self.unplaced or f"action {action} ({arg1})"

    def _note_pragma(self, name, argument):
        name = (name or "").lower()
        if name in _PRAGMAS_READING or name in _PRAGMAS_SETTING_CONNECTION:
            return
        if argument is None and name in _PRAGMAS_QUERYING:
            return
        self.unplaced = self.unplaced or f"PRAGMA {name}"

    def scope(self, cursor):
        """The tables to check, each existing now (with the schema table), or None for the whole
        file; stops recording.  ``cursor``: a cursor of the same connection."""
        self._raw.set_authorizer(None)
        if self.unplaced:
            return None
        rows = cursor.execute("SELECT type, name, tbl_name FROM sqlite_master").fetchall()
        tables = {name for kind, name, _ in rows if kind == "table"}
        index_tables = {name: table for kind, name, table in rows if kind == "index"}
        # Tables dropped by the plan have nothing left to read; indexes rebuilt by name are read
        # with their table.
        written = (self.tables & tables) | {index_tables[i] for i in self.indexes if i in index_tables}
        self.tables |= written
        # SQLite counts AUTOINCREMENT keys in sqlite_sequence without asking the authorizer.
        internal = {SCHEMA_TABLE} | ({SEQUENCE_TABLE} & tables)
        return sorted(written | internal)

    def left_alone(self, tables):
        """Of ``tables`` (names before the plan), those no statement of the plan wrote, dropped,
        renamed or altered: they hold the same rows as before, by name.  Empty when the recorder
        could not place everything.  Call after ``scope()``."""
        if self.unplaced:
            return set()
        return {table for table in tables if table not in self.tables and table not in self.altered}
