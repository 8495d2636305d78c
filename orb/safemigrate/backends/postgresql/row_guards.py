"""Row guards on PostgreSQL: a plpgsql function per guarded table raises unless the row may
change; row-level triggers call it for UPDATE and DELETE, and a statement-level trigger refuses
TRUNCATE (which fires no row triggers)."""

from ..row_guards import bypass_table_statement


def _function(name, *, condition, message, bypass_table, row_level):
    """A trigger function: let the row (or statement) through, or refuse it."""
    let_through = "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;" if row_level else "RETURN NULL;"
    checks = []
    if bypass_table:
        checks.append(f"IF EXISTS (SELECT 1 FROM {bypass_table}) THEN {let_through} END IF;")
    if condition and row_level:
        checks.append(f"IF NOT ({condition}) THEN {let_through} END IF;")
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {' '.join(checks)} "
        f"RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation'; END $$"
    )


class RowGuardsMixin:
    @classmethod
    def guard_statements(cls, guards, *, bypass_table=None):
        statements = bypass_table_statement(bypass_table)
        for guard in guards:
            row_fn, stmt_fn = guard.function_name("row"), guard.function_name("statement")
            statements.append(_function(row_fn, condition=guard.condition, message=guard.message,
                                        bypass_table=bypass_table, row_level=True))  # fmt: skip
            statements.append(_function(stmt_fn, condition=None, message=guard.message,
                                        bypass_table=bypass_table, row_level=False))  # fmt: skip
            for op in guard.OPERATIONS:
                statements.append(
                    f"CREATE OR REPLACE TRIGGER {guard.trigger_name(op)} BEFORE {guard.event(op)} ON {guard.table} "
                    f"FOR EACH ROW EXECUTE FUNCTION {row_fn}()"
                )
            statements.append(
                f"CREATE OR REPLACE TRIGGER {guard.trigger_name('truncate')} BEFORE TRUNCATE ON {guard.table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {stmt_fn}()"
            )
        return statements

    @classmethod
    def guard_trigger_names(cls, guards):
        return [guard.trigger_name(op) for guard in guards for op in (*guard.OPERATIONS, "truncate")]

    @classmethod
    def guard_drop_statements(cls, guards):
        return [
            f"DROP FUNCTION IF EXISTS {guard.function_name(kind)}() CASCADE"
            for guard in guards
            for kind in ("row", "statement")
        ]

    @classmethod
    def guard_drops_before_migration(cls, guards):
        # A trigger on ``UPDATE OF <columns>`` makes the server refuse to change those columns'
        # types (AlterField): it goes for the migration run and comes back after it.
        return [
            f"DROP TRIGGER IF EXISTS {guard.trigger_name('update')} ON {guard.table}"
            for guard in guards
            if guard.columns
        ]

    @classmethod
    def installed_triggers(cls, cursor, *, prefix):
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s "
            "AND pg_catalog.pg_table_is_visible(tgrelid)",
            [prefix + "%"],
        )
        return {row[0] for row in cursor.fetchall()}

    @classmethod
    def serialize_transaction(cls, cursor, *, key):
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
