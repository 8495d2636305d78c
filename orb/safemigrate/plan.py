"""What a run will do: the migrations, their direction, operations, destructive steps and SQL."""

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import migrations as ops
from django.db.migrations.executor import MigrationExecutor

from .drift import key_name
from .errors import Refused

# Operations that drop stored data when run in the given direction.
DROPS_FORWARDS = (ops.RemoveField, ops.DeleteModel)
DROPS_BACKWARDS = (ops.AddField, ops.CreateModel)
# Operations that run code (Python or SQL): their effect on data cannot be known from the
# migration file alone.
RUNS_CODE = (ops.RunPython, ops.RunSQL)


@dataclass
class OperationInfo:
    description: str
    destructive: bool
    runs_code: bool
    reversible: bool

    def to_json(self):
        return {
            "description": self.description,
            "destructive": self.destructive,
            "runs_code": self.runs_code,
            "reversible": self.reversible,
        }


@dataclass
class Step:
    migration: object
    backwards: bool
    operations: list = field(default_factory=list)
    sql: list = field(default_factory=list)

    @property
    def name(self):
        return key_name((self.migration.app_label, self.migration.name))

    @property
    def direction(self):
        return "backwards" if self.backwards else "forwards"

    @property
    def destructive(self):
        return any(op.destructive for op in self.operations)

    @property
    def irreversible_operations(self):
        return [op for op in self.operations if not op.reversible]

    @property
    def atomic(self):
        return getattr(self.migration, "atomic", True)

    def to_json(self):
        return {
            "migration": self.name,
            "direction": self.direction,
            "destructive": self.destructive,
            "atomic": self.atomic,
            "operations": [op.to_json() for op in self.operations],
            "sql": self.sql,
        }


@dataclass
class Plan:
    targets: list
    steps: list

    @property
    def direction(self):
        if not self.steps:
            return "none"
        return "backwards" if self.steps[0].backwards else "forwards"

    @property
    def names(self):
        return [step.name for step in self.steps]

    @property
    def atomic(self):
        """True when the whole plan can run in one transaction."""
        return all(step.atomic for step in self.steps)

    @property
    def raw(self):
        return [(step.migration, step.backwards) for step in self.steps]

    def to_json(self):
        return {"direction": self.direction, "atomic": self.atomic, "steps": [s.to_json() for s in self.steps]}


def _has_table(options):
    return options.get("managed", True) and not options.get("proxy", False)


def _drops_data(operation, *, app_label, backwards, state):
    """True when the operation drops a table or column that holds data.  An unmanaged or proxy
    model has no table of its own, so creating, deleting or changing one drops nothing."""
    if not isinstance(operation, DROPS_BACKWARDS if backwards else DROPS_FORWARDS):
        return False
    if isinstance(operation, ops.CreateModel):
        return _has_table(operation.options)
    if state is None:
        return True
    model_state = state.models.get((app_label, (getattr(operation, "model_name", None) or operation.name).lower()))
    return model_state is None or _has_table(model_state.options)


def describe_operations(migration, *, backwards, state=None):
    """``state``: the project state before the migration (to tell whether a model has a table)."""
    infos = []
    state = state.clone() if state is not None else None
    for operation in migration.operations:
        drops = _drops_data(operation, app_label=migration.app_label, backwards=backwards, state=state)
        if state is not None:
            try:
                operation.state_forwards(migration.app_label, state)
            except Exception:  # a third-party operation that cannot move the state: judge the rest strictly
                state = None
        try:
            text = operation.describe()
        except Exception:  # a third-party operation with a broken describe()
            text = operation.__class__.__name__
        if backwards:
            text = f"Undo: {text}"
        infos.append(
            OperationInfo(
                description=text,
                destructive=drops,
                runs_code=isinstance(operation, RUNS_CODE),
                reversible=bool(getattr(operation, "reversible", True)),
            )
        )
    return infos


def check_graph(loader, connection):
    """Refuse on conflicting leaves or an inconsistent history."""
    from django.db.migrations.exceptions import InconsistentMigrationHistory

    conflicts = loader.detect_conflicts()
    if conflicts:
        names = "; ".join(f"{app}: {', '.join(sorted(c))}" for app, c in sorted(conflicts.items()))
        raise Refused(
            f"Conflicting migrations ({names}); run `manage.py makemigrations --merge` and commit the result."
        )
    try:
        loader.check_consistent_history(connection)
    except InconsistentMigrationHistory as exc:
        raise Refused(f"The migration history is inconsistent: {exc}. Fix the history before migrating.") from None


def _needs_state(migration):
    """Only a drop of an existing model's table or column needs the state to judge it."""
    return any(isinstance(op, (ops.DeleteModel, ops.RemoveField, ops.AddField)) for op in migration.operations)


def build_plan(executor, targets):
    raw = executor.migration_plan(targets)
    loader = executor.loader
    steps = [
        Step(
            migration=migration,
            backwards=backwards,
            operations=describe_operations(
                migration,
                backwards=backwards,
                state=loader.project_state((migration.app_label, migration.name), at_end=False)
                if _needs_state(migration)
                else None,
            ),
        )
        for migration, backwards in raw
    ]
    return Plan(targets=targets, steps=steps)


def new_executor(connection, progress_callback=None):
    return MigrationExecutor(connection, progress_callback)


@contextmanager
def no_constraint_scans(connection):
    """Collecting SQL needs no foreign-key scan of the whole database after each migration."""
    original = connection.check_constraints
    connection.check_constraints = lambda table_names=None: None
    try:
        yield
    finally:
        connection.check_constraints = original


def collect_sql(executor, plan):
    """Fill each step's ``sql`` with the statements it would run (nothing is executed)."""
    loader = executor.loader
    connection = executor.connection
    with no_constraint_scans(connection):
        for step in plan.steps:
            migration = step.migration
            key = (migration.app_label, migration.name)
            try:
                with connection.schema_editor(collect_sql=True, atomic=migration.atomic) as editor:
                    if step.backwards:
                        state = loader.project_state(key, at_end=True)
                        migration.unapply(state, editor, collect_sql=True)
                    else:
                        state = loader.project_state(key, at_end=False)
                        migration.apply(state, editor, collect_sql=True)
                step.sql = list(editor.collected_sql)
            except Exception as exc:  # e.g. an irreversible step asked for backwards SQL
                step.sql = [f"-- SQL not available: {exc}"]


def rewritten_tables(plan, state, *, rewrites):
    """Tables the plan rewrites (for the disk preflight), resolved in the starting state;
    ``rewrites(operation, old_field=...)`` says whether the backend rewrites a whole table for an
    operation (``Backend.rewrites``; the old field is the starting state's, when it has one)."""
    tables = set()
    for step in plan.steps:
        for operation in step.migration.operations:
            if isinstance(operation, RUNS_CODE):
                return None  # unknown: assume the largest table
            model_name = getattr(operation, "model_name", None) or getattr(operation, "name", None)
            model_state = state.models.get((step.migration.app_label, (model_name or "").lower()))
            old_name = getattr(operation, "old_name", None) or getattr(operation, "name", None)
            old_field = model_state.fields.get(old_name) if model_state is not None and old_name else None
            if model_state is not None and rewrites(operation, old_field=old_field):
                tables.add(
                    model_state.options.get("db_table") or f"{step.migration.app_label}_{model_state.name_lower}"
                )
    return sorted(tables)
