"""A database's schema as the framework's introspection sees it, and how two snapshots differ.

A snapshot holds every table (Django's own ``django_migrations`` left out: it records the
state, it is not part of it) with its columns (type, size, precision, nullability, default),
its constraints and indexes (unnamed ones keyed by what they cover, since the embedded engine
numbers them), and the record's guard triggers.  Column order is left out: the embedded engine
appends a column that a backwards step puts back, and nothing in the code depends on the order.
"""

from django.db.migrations.recorder import MigrationRecorder

UNNAMED = ("__unnamed_constraint_", "__primary__")


def _columns(introspection, *, cursor, table):
    columns = {}
    for info in introspection.get_table_description(cursor, table):
        columns[info.name] = (
            str(info.type_code),
            info.internal_size,
            info.precision,
            info.scale,
            bool(info.null_ok),
            None if info.default is None else str(info.default),
        )
    return columns


def _constraints(introspection, *, cursor, table):
    found = set()
    for name, facts in introspection.get_constraints(cursor, table).items():
        key = "" if name.startswith(UNNAMED) else name
        found.add(
            (
                key,
                tuple(facts.get("columns") or ()),
                bool(facts.get("primary_key")),
                bool(facts.get("unique")),
                tuple(facts.get("foreign_key") or ()),
                bool(facts.get("check")),
                bool(facts.get("index")),
            )
        )
    return frozenset(found)


def table_names(connection):
    """The tables of the database (one cheap query)."""
    skip = {MigrationRecorder.Migration._meta.db_table}
    with connection.cursor() as cursor:
        return {info.name for info in connection.introspection.get_table_list(cursor) if info.type == "t"} - skip


def snapshot(connection, tables=None):
    """{table: (columns, constraints)} of ``tables`` (default: every table), plus the key
    "triggers" (the record's guard triggers).  Introspection is slow on the embedded engine (it
    parses each table's SQL), so the round trip asks only for the tables a step may change."""
    from soundings import guards

    names = table_names(connection)
    introspection = connection.introspection
    result = {}
    with connection.cursor() as cursor:
        for table in sorted(names if tables is None else set(tables) & names):
            result[table] = (
                _columns(introspection, cursor=cursor, table=table),
                _constraints(introspection, cursor=cursor, table=table),
            )
    result["triggers"] = tuple(sorted(guards.installed(connection)))
    return result


def _table_of(key, model_state):
    return model_state.options.get("db_table") or f"{key[0]}_{model_state.name_lower}"


def touched_tables(before, after, *, migration, names):
    """The tables (of ``names``, the database's) that ``migration`` may change, going from the
    project state ``before`` to ``after``: those of the models it changes and their many-to-many
    tables; every table when it runs SQL (that may change anything)."""
    from django.db import migrations as ops

    if any(isinstance(operation, ops.RunSQL) for operation in migration.operations):
        return set(names)
    tables = set()
    for key in set(before.models) | set(after.models):
        old, new = before.models.get(key), after.models.get(key)
        if old is None or new is None or old != new:
            tables |= {_table_of(key, state) for state in (old, new) if state is not None}
    return {name for name in names if name in tables or any(name.startswith(t + "_") for t in tables)}


def differences(expected, actual, *, limit=4):
    """Short phrases saying how ``actual`` differs from ``expected`` ([] when equal)."""
    found = []
    for table in sorted(set(expected) | set(actual)):
        if table == "triggers":
            continue
        if table not in actual:
            found.append(f"table {table} is missing")
        elif table not in expected:
            found.append(f"table {table} is new")
        else:
            found += _table_differences(table, expected=expected[table], actual=actual[table])
    if expected.get("triggers") != actual.get("triggers"):
        lost = sorted(set(expected.get("triggers", ())) - set(actual.get("triggers", ())))
        gained = sorted(set(actual.get("triggers", ())) - set(expected.get("triggers", ())))
        found.append(f"guard triggers missing {lost or 'none'}, extra {gained or 'none'}")
    more = f" (and {len(found) - limit} more)" if len(found) > limit else ""
    return found[:limit] + ([more.strip()] if more else [])


def _table_differences(table, *, expected, actual):
    found = []
    columns_before, constraints_before = expected
    columns_after, constraints_after = actual
    for column in sorted(set(columns_before) | set(columns_after)):
        before, after = columns_before.get(column), columns_after.get(column)
        if before is None:
            found.append(f"column {table}.{column} is new")
        elif after is None:
            found.append(f"column {table}.{column} is missing")
        elif before != after:
            found.append(f"column {table}.{column} was {_column_words(before)}, is {_column_words(after)}")
    for constraint in sorted(constraints_before - constraints_after):
        found.append(f"constraint/index {constraint[0] or 'unnamed'} on {table}{list(constraint[1])} is missing")
    for constraint in sorted(constraints_after - constraints_before):
        found.append(f"constraint/index {constraint[0] or 'unnamed'} on {table}{list(constraint[1])} is new")
    return found


def _column_words(facts):
    kind, size, precision, scale, null, default = facts
    words = f"{kind}{f'({size})' if size else ''}{f' {precision},{scale}' if precision else ''}"
    return f"{words} {'NULL' if null else 'NOT NULL'}{f' DEFAULT {default}' if default is not None else ''}"
