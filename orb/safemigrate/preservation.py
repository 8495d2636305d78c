"""Data preservation: rows per table and non-null values per column, before and after.

Inside the apply transaction, before the first migration runs, every table is counted
in one pass (``COUNT(*)`` plus ``COUNT(column)`` for each nullable column; a NOT NULL
column's count is the row count).  After the plan the same counts are taken again and
compared, with tables and columns followed through renames (``RenameModel``,
``RenameField``, ``AlterModelTable``, ``db_column``) by their identity in the migration
state rather than by name.  Inserted rows are fine;
fewer rows, a dropped column holding values, or values turned NULL are losses.
"""

from dataclasses import dataclass, field

from django.db import migrations as ops

IGNORED_TABLES = {"django_migrations"}  # plus the backend's ``internal_tables``


@dataclass
class TableCounts:
    rows: int
    values: dict  # column -> non-null count
    rows_added: int = 0  # for --rollback: rows the undone run itself added to this table


@dataclass
class Loss:
    table: str
    column: str | None
    lost: int
    what: str

    def sentence(self):
        return self.what


@dataclass
class Comparison:
    losses: list = field(default_factory=list)
    rows_before: dict = field(default_factory=dict)
    rows_after: dict = field(default_factory=dict)


def quote(connection, name):
    return connection.ops.quote_name(name)


def snapshot(connection, *, internal_tables=(), known=None):
    """{table: TableCounts} for every table of the database but Django's migration records and
    the backend's own bookkeeping (``internal_tables``).  ``known``: counts of tables that cannot
    have changed since they were taken (the plan did not write them), used instead of counting."""
    known = known or {}
    ignored = IGNORED_TABLES | set(internal_tables)
    counts = {}
    with connection.cursor() as cursor:
        tables = [
            info.name
            for info in connection.introspection.get_table_list(cursor)
            if info.type == "t" and info.name not in ignored
        ]
        for table in tables:
            if table in known:
                counts[table] = known[table]
                continue
            description = connection.introspection.get_table_description(cursor, table)
            # A NOT NULL column holds a value in every row (the database enforces it, and the
            # integrity check verifies it), so its count is the row count: only nullable
            # columns are counted.  COUNT(*) alone lets the database scan its smallest index
            # instead of the whole table.
            nullable = [col.name for col in description if col.null_ok]
            parts = ["COUNT(*)"] + [f"COUNT({quote(connection, c)})" for c in nullable]
            cursor.execute(f"SELECT {', '.join(parts)} FROM {quote(connection, table)}")
            row = cursor.fetchone()
            counted = dict(zip(nullable, row[1:], strict=False))
            values = {col.name: counted.get(col.name, row[0]) for col in description}
            counts[table] = TableCounts(rows=row[0], values=values)
    return counts


def _layout(state):
    """{table: (model_key, {column: field_name})} for the concrete models of a state."""
    layout = {}
    for model in state.apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        columns = {f.column: f.name for f in meta.local_concrete_fields}
        layout[meta.db_table] = ((meta.app_label, meta.model_name), columns)
    return layout


def _renames(plan):
    """The rename operations of the plan in the order they run: (kind, app, model, old, new)."""
    for step in plan.steps:
        app = step.migration.app_label
        operations = step.migration.operations
        for operation in reversed(operations) if step.backwards else operations:
            if isinstance(operation, ops.RenameModel):
                old, new = operation.old_name_lower, operation.new_name_lower
                yield ("model", app, None, *((new, old) if step.backwards else (old, new)))
            elif isinstance(operation, ops.RenameField):
                old, new = operation.old_name, operation.new_name
                yield ("field", app, operation.model_name_lower, *((new, old) if step.backwards else (old, new)))


def follow_identities(layout_before, plan):
    """{(model_key, field_name) before: (model_key, field_name) after} and the same for models."""
    models = {key: key for key, _ in layout_before.values()}
    fields = {(key, name): (key, name) for key, cols in layout_before.values() for name in cols.values()}
    for kind, app, model, old, new in _renames(plan):
        if kind == "model":
            for orig, current in models.items():
                if current == (app, old):
                    models[orig] = (app, new)
            for orig, (current_model, name) in fields.items():
                if current_model == (app, old):
                    fields[orig] = ((app, new), name)
        else:
            for orig, current in fields.items():
                if current == ((app, model), old):
                    fields[orig] = ((app, model), new)
    return models, fields


def counts_to_json(counts):
    return {table: {"rows": c.rows, "values": c.values} for table, c in counts.items()}


def undone_run_counts_of(record):
    """What undoing the run ``record`` may take away without it counting as a loss: the counts
    it left behind, and per table the rows it added itself (``rows_after - rows_before``), e.g. the
    permissions its data migration granted, which its reverse code deletes again."""
    counts_left = counts_from_json(record.get("counts_after"))
    before, after = record.get("rows_before"), record.get("rows_after")
    if isinstance(before, dict) and isinstance(after, dict):
        for table, counts in counts_left.items():
            rows_before, rows_after = before.get(table, 0), after.get(table)
            if isinstance(rows_before, int) and isinstance(rows_after, int):
                counts.rows_added = max(0, rows_after - rows_before)
    return counts_left


def counts_from_json(data):
    """TableCounts from a journal record's ``counts_after`` (None or malformed -> {})."""
    result = {}
    if not isinstance(data, dict):
        return result
    for table, entry in data.items():
        if isinstance(entry, dict) and isinstance(entry.get("rows"), int) and isinstance(entry.get("values"), dict):
            result[table] = TableCounts(rows=entry["rows"], values=dict(entry["values"]))
    return result


def compare(*, before, after, state_before, state_after, plan, undone_run_counts=None):
    """Losses of ``before`` -> ``after``.

    ``undone_run_counts`` (for --rollback) holds the counts the undone run left behind: rows and values
    that run itself created (a column added with a default, a table filled by its data
    migration) come back when it is applied again, so only what was written since counts as
    lost when such a table or column is dropped.
    """
    undone_run_counts = undone_run_counts or {}
    comparison = Comparison(
        rows_before={t: c.rows for t, c in before.items()},
        rows_after={t: c.rows for t, c in after.items()},
    )
    layout_before = _layout(state_before)
    after_by_model = {
        key: (table, {name: col for col, name in cols.items()}) for table, (key, cols) in _layout(state_after).items()
    }
    models, fields = follow_identities(layout_before, plan)

    for table, counts in sorted(before.items()):
        model_key = columns = target = None
        new_table = table
        if table in layout_before:
            model_key, columns = layout_before[table]
            target = after_by_model.get(models[model_key])
            new_table = target[0] if target else None
        allowed = undone_run_counts.get(table)
        if new_table not in after:
            gone = counts.rows - (allowed.rows if allowed else 0)
            if gone > 0:
                since = " written since the run being undone" if allowed else ""
                comparison.losses.append(
                    Loss(table, None, gone, f"table {table} would be dropped with {gone} rows{since}")
                )
            continue
        counts_after = after[new_table]
        gone = counts.rows - counts_after.rows - (allowed.rows_added if allowed else 0)
        if gone > 0:
            comparison.losses.append(
                Loss(table, None, gone, f"{gone} of {counts.rows} rows of {table} would be deleted")
            )
        for column, nonnull in counts.values.items():
            if not nonnull:
                continue
            new_column = column
            if target is not None and column in columns:
                new_model, new_field = fields[(model_key, columns[column])]
                new_column = target[1].get(new_field) if new_model == models[model_key] else None
            loss = _column_loss(
                table=table,
                column=column,
                new_column=new_column,
                counts=counts,
                counts_after=counts_after,
                allowed=allowed,
            )
            if loss:
                comparison.losses.append(loss)
    return comparison


def _column_loss(*, table, column, new_column, counts, counts_after, allowed):
    """The Loss of the values of ``table.column`` (now ``new_column``, None when dropped), or None."""
    nonnull = counts.values[column]
    if new_column is None or new_column not in counts_after.values:
        gone = nonnull - (allowed.values.get(column, 0) if allowed else 0)
        if gone <= 0:
            return None
        since = " written since the run being undone" if allowed and column in allowed.values else ""
        return Loss(table, column, gone, f"column {table}.{column} would be dropped holding {gone} values{since}")
    remaining = counts_after.values[new_column]
    if remaining < nonnull and counts_after.rows >= counts.rows:
        gone = nonnull - remaining
        return Loss(table, column, gone, f"{gone} values of {table}.{column} would be turned NULL")
    return None
