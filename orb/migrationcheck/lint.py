"""The rules read from a migration file and the project states around it (no database needed).

Each operation is judged against the project state just before it (the models as the migration
sees them): ORB101 irreversible, ORB102 data dropped, ORB103 NOT NULL without a default, ORB104 a
rebuild of a large table, ORB105 ``atomic = False``, ORB106 RunPython with the current models,
ORB107 a protected column of the record.  ORB108 (released file edited) is ``released``'s.
"""

import re
from dataclasses import dataclass, field

from django.db import migrations as ops
from django.db import models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from orb.safemigrate.backends.base import db_attributes

from . import rebuild, runpython
from .findings import Finding


@dataclass
class LintContext:
    large_tables: dict = field(default_factory=dict)  # table -> bytes
    protected: dict = field(default_factory=dict)  # table -> columns (soundings.guards.GUARDED_COLUMNS)


@dataclass
class Target:
    """What an operation works on, resolved in the state before it."""

    table: str = ""
    has_table: bool = False
    field: object = None  # the field before the operation
    column: str = ""
    created_here: bool = False  # the model was created earlier in the same migration (no rows yet)


def protected_columns():
    """The ORB record's guarded columns (the guard's own list)."""
    from soundings.guards import GUARDED_COLUMNS

    return GUARDED_COLUMNS


def column_of(name, field):
    if getattr(field, "db_column", None):
        return field.db_column
    return f"{name}_id" if isinstance(field, models.ForeignKey) else name


def resolve(operation, *, app_label, state):
    model_name = (getattr(operation, "model_name", None) or getattr(operation, "name", "") or "").lower()
    model_state = state.models.get((app_label, model_name))
    if model_state is None:
        return Target()
    options = model_state.options
    target = Target(
        table=options.get("db_table") or f"{app_label}_{model_state.name_lower}",
        has_table=options.get("managed", True) and not options.get("proxy", False),
    )
    field_name = getattr(operation, "old_name", None) if isinstance(operation, ops.RenameField) else None
    field_name = field_name or (getattr(operation, "name", None) if hasattr(operation, "model_name") else None)
    if field_name and field_name in model_state.fields:
        target.field = model_state.fields[field_name]
        target.column = column_of(field_name, target.field)
    return target


def lint_migration(name, migration, *, state, context):
    """Findings of one migration; ``state`` is the project state before it (not changed)."""
    findings = []
    if not getattr(migration, "atomic", True):
        findings.append(Finding("ORB105", name, "", "the migration sets atomic = False"))
    state = state.clone()
    created = set()
    for operation in migration.operations:
        description = _describe(operation)
        target = resolve(operation, app_label=migration.app_label, state=state)
        target.created_here = target.table in created
        if isinstance(operation, ops.CreateModel):
            created.add(
                resolve(
                    operation, app_label=migration.app_label, state=_after(operation, migration=migration, state=state)
                ).table
            )
        for rule, detail in _judge(operation, target=target, context=context):
            findings.append(Finding(rule, name, description, detail))
        try:
            operation.state_forwards(migration.app_label, state)
        except Exception as exc:  # a third-party operation that cannot move the state
            findings.append(Finding("ORB110", name, description, f"the migration state cannot be computed ({exc})"))
            break
    return findings


def _after(operation, *, migration, state):
    state = state.clone()
    operation.state_forwards(migration.app_label, state)
    return state


def _describe(operation):
    try:
        return operation.describe()
    except Exception:  # a third-party operation with a broken describe()
        return type(operation).__name__


def _judge(operation, *, target, context):
    yield from _irreversible(operation)
    yield from _dropped(operation, target)
    yield from _not_null(operation, target)
    yield from _large_rebuild(operation, target=target, context=context)
    yield from _current_models(operation)
    yield from _protected(operation, target=target, context=context)


def _irreversible(operation):
    if not getattr(operation, "reversible", True):
        if isinstance(operation, ops.RunPython | ops.RunSQL):
            missing = "reverse_code" if isinstance(operation, ops.RunPython) else "reverse_sql"
            yield "ORB101", f"{type(operation).__name__} without {missing} cannot be undone"
        else:
            yield "ORB101", "the operation cannot be undone"


def _dropped(operation, target):
    if not target.has_table:
        return
    if isinstance(operation, ops.RemoveField) and target.field is not None:
        yield "ORB102", f"drops the column {target.table}.{target.column} and every value in it"
    elif isinstance(operation, ops.DeleteModel):
        yield "ORB102", f"drops the table {target.table} and every row in it"
    elif isinstance(operation, ops.AlterField) and target.field is not None:
        narrowed = narrowing(target.field, operation.field)
        if narrowed:
            yield "ORB102", f"{target.table}.{target.column}: {narrowed}, so stored values may not fit"


WIDENING = {
    ("SmallIntegerField", "IntegerField"),
    ("SmallIntegerField", "BigIntegerField"),
    ("IntegerField", "BigIntegerField"),
    ("PositiveSmallIntegerField", "PositiveIntegerField"),
    ("PositiveIntegerField", "PositiveBigIntegerField"),
    ("CharField", "TextField"),
    ("SlugField", "CharField"),
    ("EmailField", "CharField"),
    ("DateField", "DateTimeField"),
}


def narrowing(old, new):
    """A phrase when ``new`` holds less than ``old`` (shorter, fewer digits, another type), else ""."""
    old_type, new_type = old.get_internal_type(), new.get_internal_type()
    if old_type != new_type and (old_type, new_type) not in WIDENING:
        return f"the type changes from {old_type} to {new_type}"
    old_length, new_length = getattr(old, "max_length", None), getattr(new, "max_length", None)
    if old_type == new_type and old_length and new_length and new_length < old_length:
        return f"max_length shrinks from {old_length} to {new_length}"
    if isinstance(old, models.DecimalField) and isinstance(new, models.DecimalField):
        if new.decimal_places < old.decimal_places:
            return f"decimal_places shrink from {old.decimal_places} to {new.decimal_places}"
        if new.max_digits - new.decimal_places < old.max_digits - old.decimal_places:
            return f"digits before the point shrink from {old.max_digits - old.decimal_places} to " + str(
                new.max_digits - new.decimal_places
            )
    return ""


def _has_default(field):
    """Django fills existing rows with the field's effective default (a blank text field's is "")."""
    return BaseDatabaseSchemaEditor._effective_default(field) is not None or field.has_db_default()


def _not_null(operation, target):
    if not target.has_table or not target.table or target.created_here:
        return
    if isinstance(operation, ops.AddField):
        field = operation.field
        if not field.null and not field.many_to_many and not _has_default(field) and not field.primary_key:
            yield "ORB103", f"adds the NOT NULL column {target.table}.{operation.name} with no default"
    elif (
        isinstance(operation, ops.AlterField)
        and target.field is not None
        and target.field.null
        and not operation.field.null
        and not _has_default(operation.field)
    ):
        yield "ORB103", f"makes {target.table}.{target.column} NOT NULL with no default for the NULLs it holds"


def _large_rebuild(operation, *, target, context):
    size = context.large_tables.get(target.table)
    if size is None or not target.has_table:
        return
    if rebuild.rebuilds(operation, old_field=target.field):
        yield "ORB104", f"rebuilds {target.table} on the embedded database: {rebuild.estimate(size)}"


def _current_models(operation):
    if not isinstance(operation, ops.RunPython):
        return
    for function in (operation.code, operation.reverse_code):
        if function is None:
            continue
        uses = runpython.current_model_uses(function)
        if uses:
            yield "ORB106", f"{function.__name__}() uses the current models: {', '.join(uses)}"


def _protected(operation, *, target, context):
    columns = context.protected.get(target.table, ())
    if isinstance(operation, ops.AlterField) and target.field is not None:
        if target.column in columns and db_attributes(target.field) != db_attributes(operation.field):
            yield "ORB107", f"changes the protected column {target.table}.{target.column}"
    elif isinstance(operation, ops.RemoveField | ops.RenameField) and target.column in columns:
        yield "ORB107", f"changes the protected column {target.table}.{target.column}"
    elif isinstance(operation, ops.DeleteModel | ops.RenameModel | ops.AlterModelTable) and columns:
        yield "ORB107", f"changes the protected table {target.table}"
    elif isinstance(operation, ops.RunSQL):
        for table in _tables_written_by_sql(operation, context.protected):
            yield "ORB107", f"its SQL writes to or alters the protected table {table}"


def _tables_written_by_sql(operation, protected):
    text = " ".join(_sql_text(operation.sql))
    found = []
    for table in sorted(protected):
        pattern = rf'\b(UPDATE|ALTER\s+TABLE|DROP\s+TABLE|DELETE\s+FROM|INSERT\s+INTO)\s+"?{re.escape(table)}\b'
        if re.search(pattern, text, flags=re.IGNORECASE):
            found.append(table)
    return found


def _sql_text(sql):
    if isinstance(sql, str):
        return [sql]
    return [item if isinstance(item, str) else str(item[0]) for item in sql]
