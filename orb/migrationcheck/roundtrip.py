"""The round trip: every migration applied, then each one, newest first, taken backwards and
forwards again on a database with rows, the schema compared after each step (ORB109, ORB110).

1. On an empty scratch database every migration of the project is applied in ``migrate``'s
   order: up to the oldest migration checked as one run (the walk never goes lower), then one at
   a time, and the schema is recorded after each: the state after the first k migrations of the
   plan has one recorded schema.
2. Rows are written in every table (``rows``).
3. Walking down the plan from the newest migration to the oldest one checked: it is undone
   (the schema must equal the one recorded before it), applied again (equal to the one after
   it) and undone again to go one step lower.  Migrations of other apps that lie between are
   only undone (compared too).  A migration that cannot be undone ends the walk (ORB101 says
   why it matters).

Each step runs in its own transaction with the pre_migrate and post_migrate signals around it,
as one ``migrate`` call would: the record's guard triggers come back after a table rebuild.
"""

import time
from dataclasses import dataclass, field

from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import ProjectState

from . import rows, schema
from .findings import Finding, RoundTrip


class StepFailed(Exception):
    def __init__(self, finding):
        super().__init__(finding.detail)
        self.finding = finding


@dataclass
class Walk:
    """One round trip on the database the default connection points at."""

    checked: set  # keys ("app", "name") of the migrations to take backwards and forwards
    trip: RoundTrip
    findings: list = field(default_factory=list)
    plan: list = field(default_factory=list)  # migrations in the order migrate applies them
    states: list = field(default_factory=list)  # states[k]: the project state after plan[:k]
    schemas: list = field(default_factory=list)  # schemas[k]: the schema recorded after plan[:k]
    with_rows: bool = False  # rows were written (the walk down); before that the tables are empty

    def run(self):
        started = time.monotonic()
        executor = MigrationExecutor(connection)
        self.plan = [migration for migration, _ in executor.migration_plan(_leaves(executor), clean_start=True)]
        try:
            self._forwards_from_empty(executor)
            self.trip.notes += rows.fill_every_table(self.states[-1].apps)
            self.with_rows = True
            self._walk_down(executor)
        except StepFailed as failed:
            self.findings.append(failed.finding)
            self.trip.stopped = f"{failed.finding.migration} failed"
        self.trip.seconds = time.monotonic() - started
        return self.findings

    def _forwards_from_empty(self, executor):
        """Apply the plan.  Up to the oldest migration checked it is one run, as one ``migrate``
        call is (signals once around it, no schema recorded: the walk never goes lower); from
        there on one step at a time, each recorded."""
        first = self._first_checked()
        state = ProjectState(real_apps=executor.loader.unmigrated_apps)
        prefix = [(migration, False) for migration in self.plan[:first]]
        if prefix:
            emit_pre_migrate_signal(0, False, DEFAULT_DB_ALIAS, apps=state.apps, plan=prefix)
            state = self._apply_prefix(executor, prefix, state=state)
            emit_post_migrate_signal(0, False, DEFAULT_DB_ALIAS, apps=state.apps, plan=prefix)
        # states[k] and schemas[k] are only needed from the oldest migration checked on
        self.states, self.schemas = [None] * first + [state], [None] * (first + 1)
        self.schemas[first] = schema.snapshot(connection)
        for k in range(first, len(self.plan)):
            state = self._step(executor, self.plan[k], state=state, backwards=False)
            self.states.append(state)
            self.schemas.append(self._schema_after(k))

    def _first_checked(self):
        positions = [k for k, migration in enumerate(self.plan) if _key(migration) in self.checked]
        return positions[0] if positions else len(self.plan)

    def _schema_after(self, k):
        """The whole schema after plan[k] ran (forwards or backwards), read again only for the
        tables plan[k] may have changed; the others are as recorded before it."""
        names = schema.table_names(connection)
        recorded = self.schemas[k + 1] if len(self.schemas) > k + 1 else self.schemas[k]
        touched = schema.touched_tables(self.states[k], self.states[k + 1], migration=self.plan[k], names=names)
        touched |= {name for name in names if name not in recorded}
        whole = {table: recorded[table] for table in names if table in recorded and table not in touched}
        whole.update(schema.snapshot(connection, touched))
        return whole

    def _walk_down(self, executor):
        for k in range(len(self.plan) - 1, self._first_checked() - 1, -1):
            migration = self.plan[k]
            if not _reversible(migration):
                self.trip.stopped = f"{_name(migration)} cannot be undone, so older migrations were not taken back"
                return
            self._step_and_compare(executor, k, backwards=True)
            if _key(migration) in self.checked:
                self.trip.migrations += 1
                self._step_and_compare(executor, k, backwards=False)
                self._step_and_compare(executor, k, backwards=True)

    def _step_and_compare(self, executor, k, *, backwards):
        migration = self.plan[k]
        self._step(executor, migration, state=self.states[k], backwards=backwards)
        expected = self.schemas[k if backwards else k + 1]
        found = schema.differences(expected, self._schema_after(k))
        if found:
            direction = "backwards" if backwards else "forwards again"
            self.findings.append(
                Finding(
                    "ORB109",
                    _name(migration),
                    f"{direction} on {self.trip.engine}",
                    "the schema differs from the one first recorded in this state: " + "; ".join(found),
                )
            )

    def _apply_prefix(self, executor, prefix, *, state):
        """The plan up to the oldest migration checked, in one executor run (no state kept per step)."""
        self.trip.steps += len(prefix)
        try:
            return executor.migrate([_key(migration) for migration, _ in prefix], plan=prefix, state=state)
        except Exception as exc:
            applied = executor.recorder.applied_migrations()
            failed = next((m for m, _ in prefix if _key(m) not in applied), prefix[-1][0])
            raise StepFailed(self._failure(failed, direction="forwards", exc=exc)) from exc

    def _failure(self, migration, *, direction, exc):
        return Finding(
            "ORB110",
            _name(migration),
            f"{direction} on {self.trip.engine}",
            f"the step failed {'with rows in every table' if self.with_rows else 'on an empty database'}: "
            f"{type(exc).__name__}: {exc}",
        )

    def _step(self, executor, migration, *, state, backwards):
        """Apply or undo one migration from ``state`` (the state before it, not changed)."""
        self.trip.steps += 1
        plan = [(migration, backwards)]
        emit_pre_migrate_signal(0, False, DEFAULT_DB_ALIAS, apps=state.apps, plan=plan)
        try:
            if backwards:
                executor.unapply_migration(state.clone(), migration)
                after = state  # undone: the state before the migration
            else:
                after = executor.apply_migration(state.clone(), migration)
        except Exception as exc:
            raise StepFailed(
                self._failure(migration, direction="backwards" if backwards else "forwards", exc=exc)
            ) from exc
        emit_post_migrate_signal(0, False, DEFAULT_DB_ALIAS, apps=after.apps, plan=plan)
        return after


def _leaves(executor):
    return executor.loader.graph.leaf_nodes()


def _key(migration):
    return (migration.app_label, migration.name)


def _name(migration):
    return f"{migration.app_label}.{migration.name}"


def _reversible(migration):
    return all(getattr(operation, "reversible", True) for operation in migration.operations)
