"""Row guards: triggers that refuse UPDATE and DELETE of protected rows, whatever the path (ORM
bypasses, raw SQL, another program on the database).  An app describes what it protects with
``RowGuard``s; each backend writes the triggers in its own SQL (``Backend.guard_statements``
and friends), so no app names a database engine.  The record's guard (soundings.guards) is
the user.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class RowGuard:
    """Refuse UPDATE and DELETE of ``table``'s rows for which ``condition`` (SQL on ``OLD``; None:
    every row) holds, with the error ``message``.  ``prefix`` starts every trigger's name.
    ``columns``: the UPDATE refused is one that sets any of these (None: any column), so a later
    migration may add a column to the table and fill it."""

    table: str
    condition: str | None
    message: str
    prefix: str
    reads_other_tables: bool = False
    columns: tuple | None = None

    OPERATIONS = ("update", "delete")

    def trigger_name(self, operation):
        return f"{self.prefix}{self.table}_{operation}"

    def function_name(self, kind):
        return f"{self.prefix}{self.table}_{kind}"

    def event(self, operation):
        """``UPDATE OF a, b`` or ``DELETE``: the event a trigger of ``operation`` fires on."""
        if operation == "update" and self.columns:
            return f"UPDATE OF {', '.join(self.columns)}"
        return operation.upper()


def bypass_clause(bypass_table):
    """SQL that holds unless ``bypass_table`` has a row (tests only; see soundings.guards)."""
    return f"NOT EXISTS (SELECT 1 FROM {bypass_table})" if bypass_table else None


def bypass_table_statement(bypass_table):
    return [f"CREATE TABLE IF NOT EXISTS {bypass_table} (active integer)"] if bypass_table else []
