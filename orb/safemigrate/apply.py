"""Apply a plan and run every check before it counts.

``run_plan`` applies the whole plan on the connection's database inside ONE
transaction (prepared by the backend's ``begin_apply``), runs the checks still inside it,
and commits only when all pass.
With ``commit=False`` (a rehearsal) it rolls back at the end.  A plan that cannot run
in one transaction is applied migration by migration (``one_transaction=False``) and
then checked; the caller restores the backup if that fails.

As Django's ``migrate`` does, every app's ``management`` module is imported first (apps
connect post_migrate setup there, e.g. django-guardian's anonymous user), the
pre/post_migrate signals are sent with the run's verbosity, interactivity and plan, and
the backend fires deferred constraint checks after each migration, as the commit between
migrations of plain ``migrate`` would fire them.
"""

import contextlib
import time
from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps as global_apps
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import ModelState
from django.db.transaction import TransactionManagementError
from django.utils.module_loading import module_has_submodule

from . import checks, preservation
from .drift import key_name
from .errors import CheckFailed, DataLossRefused, MigrationFailed, Refused
from .plan import Plan


@dataclass
class ApplyResult:
    applied: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)  # migration -> seconds
    check_timings: dict = field(default_factory=dict)
    comparison: preservation.Comparison | None = None
    smoke: str = "skipped"
    models_checked: int = 0
    applied_after: list = field(default_factory=list)
    full: bool = False
    counts_after: dict = field(default_factory=dict)
    book: str = "skipped"  # the book check after the plan (checks.BookCheck.summary())
    book_before: str | None = None  # the sentence of a book already broken before the plan
    faked: list = field(default_factory=list)  # migrations marked without running (--fake, --fake-initial)
    mismatches: list = field(default_factory=list)  # models a fake left unreadable (--allow-mismatch)
    checked_tables: list | None = None  # the tables the in-transaction checks read (None: all)


def import_management_modules():
    """Import every app's ``management`` module, as ``migrate`` does before it migrates, so
    the handlers apps connect there (post_migrate setup) run."""
    for app_config in global_apps.get_app_configs():
        if module_has_submodule(app_config.module, "management"):
            import_module(".management", app_config.name)


class _ReportStream:
    """A ``stdout`` for signal handlers: each line they write becomes a note of the report."""

    def __init__(self, report):
        self.report = report
        self.pending = ""

    def write(self, text="", ending=None):
        self.pending += text + ("\n" if ending is None and not text.endswith("\n") else (ending or ""))
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            if line.strip():
                self.report.note(line.strip(), verbosity=2)

    def flush(self):
        if self.pending.strip():
            self.report.note(self.pending.strip(), verbosity=2)
        self.pending = ""


@contextlib.contextmanager
def _handler_output(report):
    """Handlers write to the ``stdout`` they are given or print(); both go to the report
    (the engine never prints, and with --json stdout holds only the JSON document)."""
    stream = _ReportStream(report)
    try:
        with contextlib.redirect_stdout(stream):
            yield stream
    finally:
        stream.flush()


class _Progress:
    """Turns the executor's callback into timed events."""

    def __init__(self, report, result, backend=None):
        self.report = report
        self.result = result
        self.backend = backend
        self.current = None
        self.started = None

    def __call__(self, action, migration=None, fake=False):
        if action in ("apply_start", "unapply_start"):
            self.current = key_name((migration.app_label, migration.name))
            self.started = time.monotonic()
            verb = "Applying" if action == "apply_start" else "Unapplying"
            self.report.emit("migration", f"{verb} {self.current}...", name=self.current, start=True)
        elif action in ("apply_success", "unapply_success"):
            if self.backend is not None:
                # A violation raises here, while ``current`` still names the migration that caused it.
                self.backend.fire_deferred_constraints()
            seconds = time.monotonic() - self.started
            self.result.timings[self.current] = round(seconds, 4)
            self.result.applied.append(self.current)
            if fake:
                self.result.faked.append(self.current)
            self.report.emit("migration", self.current, seconds=seconds, name=self.current, start=False, fake=fake)
            self.current = None


def _rerender_real_models(state):
    """As ``migrate`` does: real apps' models re-rendered from the code for post_migrate."""
    state.clear_delayed_apps_cache()
    post_apps = state.apps
    with post_apps.bulk_update():
        keys = []
        for model_state in post_apps.real_models:
            key = model_state.app_label, model_state.name_lower
            keys.append(key)
            post_apps.unregister_model(*key)
    post_apps.render_multiple([ModelState.from_model(global_apps.get_model(*key)) for key in keys])
    return post_apps


def _verify_inside(*, backend, executor_after, post_state, result, report, smoke_allowed, fake=None, scope=None):
    """The checks of the contract, run on the migrated (not yet committed) database.  ``scope``:
    the tables the plan wrote (the integrity and foreign-key checks read those; the backup's check,
    whose verdict COMMIT waits for, read every other page of the same file), or None for all of
    them.  ``fake`` (the run's ``Fake``, or None): a schema the marked migrations did not make is
    refused (exit 3) or, allowed, warned about, and the smoke checks are skipped."""
    connection = backend.connection
    remaining = executor_after.migration_plan(executor_after.loader.graph.leaf_nodes())
    result.full = not remaining
    timings = result.check_timings
    which = "" if scope is None else f" of the {len(scope)} table(s) the plan wrote"
    result.checked_tables = None if scope is None else list(scope)
    with report.timed(f"Checking integrity{which}", timings=timings, key="integrity"):
        checks.integrity(backend, scope)
    with report.timed(f"Checking foreign keys{which}", timings=timings, key="foreign_keys"):
        checks.foreign_keys(backend, scope)
    # A fake is checked against the models its marked migrations describe (for an app whose models
    # live only in its migrations, the code's registry would not hold them).
    registry = global_apps if result.full and not (fake and result.faked) else post_state.apps
    with report.timed("Checking every model can be read", timings=timings, key="models"):
        if fake is None or not result.faked:
            result.models_checked = checks.models_readable(connection, registry)
        else:
            result.models_checked, result.mismatches = checks.unreadable_models(connection, registry)
            # Inside the stage, so it never reports "OK" just before refusing.
            fake.refuse_mismatch(result.mismatches, marked=result.faked)
    for problem in result.mismatches:
        report.warning(f"Schema mismatch allowed by --allow-mismatch: {problem}.")
    if result.mismatches:
        result.smoke = "skipped: the schema does not match the models (--allow-mismatch)"
    elif result.full and smoke_allowed and connection.alias == DEFAULT_DB_ALIAS:
        with report.timed("Running the smoke checks (rolled back)", timings=timings, key="smoke"):
            ran = checks.smoke(connection)
        result.smoke = f"{len(ran)} passed"
    else:
        result.smoke = "skipped: the target is not the code's current models"
        report.note("Smoke checks skipped: the target state is not the code's current models.")


def _preservation(
    *, backend, before, state_before, post_state, plan, result, allow_data_loss, report, undone_run_counts
):
    # The refusal is raised inside the stage, so it never reports "OK" just before refusing.
    with report.timed("Checking data preservation", timings=result.check_timings, key="preservation"):
        # A table the plan did not touch (SQLite reports every write) is not counted twice.
        known = {table: before[table] for table in backend.tables_left_alone(before)}
        after = preservation.snapshot(backend.connection, internal_tables=backend.internal_tables, known=known)
        result.counts_after = preservation.counts_to_json(after)
        comparison = preservation.compare(
            before=before,
            after=after,
            state_before=state_before,
            state_after=post_state,
            plan=plan,
            undone_run_counts=undone_run_counts,
        )
        result.comparison = comparison
        if comparison.losses and not allow_data_loss:
            first = comparison.losses[0].sentence()
            more = f" (and {len(comparison.losses) - 1} more losses)" if len(comparison.losses) > 1 else ""
            raise DataLossRefused(
                f"The plan would lose data: {first}{more}; re-run with --allow-data-loss if that is "
                "intended (the backup keeps the old data), or use --restore to go back to a backup instead.",
                details={"losses": [loss.sentence() for loss in comparison.losses]},
            )
    for loss in comparison.losses:
        report.warning(f"Data loss allowed by --allow-data-loss: {loss.sentence()}")


@dataclass
class _Apply:
    """One application of a plan: what every step of it needs."""

    backend: object
    plan: object
    report: object
    allow_data_loss: bool
    smoke_allowed: bool
    undone_run_counts: dict | None
    signals: dict
    result: ApplyResult
    progress: object
    atomic: bool
    fake: object = None  # fake.Fake for --fake / --fake-initial

    @property
    def connection(self):
        return self.backend.connection


def run_plan(
    *,
    backend,
    plan,
    allow_data_loss,
    report,
    commit=True,
    smoke_allowed=True,
    undone_run_counts=None,
    verbosity=None,
    interactive=False,
    fake=None,
    before_commit=None,
):
    """``before_commit()`` runs last inside the transaction of a committing run (the engine keeps
    its backup there; what it raises rolls the plan back); a plan applied one by one has no such
    moment, so it is not called.  ``verbosity`` (default: the report's) and ``interactive`` are passed to the
    pre/post_migrate handlers as ``migrate`` passes its own.  ``fake`` (a ``fake.Fake``) marks
    migrations as ``migrate --fake``/``--fake-initial`` do, with the same checks; marking every
    migration without running it runs nothing, so it is always one transaction."""
    result = ApplyResult()
    import_management_modules()
    signals = {"verbosity": report.verbosity if verbosity is None else verbosity, "interactive": interactive}
    cleanup = backend.begin_apply()
    run = _Apply(
        backend=backend, plan=plan, report=report, allow_data_loss=allow_data_loss, smoke_allowed=smoke_allowed,
        undone_run_counts=undone_run_counts, signals=signals, result=result,
        progress=_Progress(report, result, backend), atomic=plan.atomic or bool(fake and fake.marks_all), fake=fake,
    )  # fmt: skip
    try:
        if run.atomic:
            with transaction.atomic(using=backend.connection.alias):
                _run(run)
                if not commit:
                    transaction.set_rollback(True, using=backend.connection.alias)
                elif before_commit is not None:
                    with report.timed("Verifying and keeping the backup", timings=result.check_timings, key="backup"):
                        before_commit()
        else:
            _run(run)
    except (Refused, MigrationFailed):  # data loss refused, a fake's schema mismatch refused, or failed
        raise
    except CheckFailed as exc:
        raise MigrationFailed(f"The {exc.check} check failed after the plan ran: {exc.message.rstrip('.')}.") from exc
    except Exception as exc:
        raise _failure(run, exc) from exc
    finally:
        cleanup()
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
    return result


def _failure(run, exc):
    """The one sentence for an error while the plan ran: which migration, the real cause."""
    where = f"Migration {run.progress.current} failed" if run.progress.current else "The plan failed"
    root = _root_error(exc)
    hint = run.backend.disk_full_hint()
    return MigrationFailed(f"{where}: {root.__class__.__name__}: {root}{'; ' + hint if hint else ''}.")


def _root_error(exc):
    """The error that started it: Django reports a failed statement inside a migration as
    "An error occurred in the current transaction" (TransactionManagementError), which
    says nothing; the chain behind it may name the real cause (e.g. disk full)."""
    seen = set()
    current = exc
    while isinstance(current, TransactionManagementError) and id(current) not in seen:
        seen.add(id(current))
        current = current.__cause__ or current.__context__
        if current is None:
            return exc
    return current


def _run(run):
    """Migrate with the signals ``migrate`` sends, then the checks (in one transaction when the
    plan is atomic; after a step-by-step plan, in a transaction of their own)."""
    executor = MigrationExecutor(run.connection, run.progress)
    _check_unchanged(run, executor)
    before_book = _book_before(run)
    state_before = executor._create_project_state(with_applied_migrations=True)
    with run.report.timed("Counting rows before", timings=run.result.check_timings, key="count_before"):
        before = preservation.snapshot(run.connection, internal_tables=run.backend.internal_tables)
    post_state, executor_after = _migrate(run, executor, state_before)
    # A plan applied one by one committed step by step: its checks read the whole database.
    scope = run.backend.written_scope() if run.atomic else None
    run.result.applied_after = sorted(key_name(k) for k in executor_after.loader.applied_migrations)
    with contextlib.nullcontext() if run.atomic else transaction.atomic(using=run.connection.alias):
        _verify_inside(
            backend=run.backend, executor_after=executor_after, post_state=post_state, result=run.result,
            report=run.report, smoke_allowed=run.smoke_allowed, fake=run.fake, scope=scope,
        )  # fmt: skip
        _book_after(run, before_book)
        # Marking every migration without running it leaves each table and column where it was:
        # the counts are compared table by table, column by column, not through the plan's changes.
        marks_all = bool(run.fake and run.fake.marks_all)
        _preservation(
            backend=run.backend, before=before, state_before=state_before,
            post_state=state_before if marks_all else post_state,
            plan=Plan(targets=run.plan.targets, steps=[]) if marks_all else run.plan,
            result=run.result, allow_data_loss=run.allow_data_loss, report=run.report,
            undone_run_counts=run.undone_run_counts,
        )  # fmt: skip


def _book_before(run):
    """The project's book check before the first migration (inside the transaction): a book
    already broken is reported loudly and its sentence kept for the journal; the plan runs."""
    with run.report.timed("Verifying the book before the plan", timings=run.result.check_timings, key="book_before"):
        before = checks.book(run.connection)
    if before.state == "broken":
        run.result.book_before = before.sentence
        warning = (
            f"The book was already broken before this run: {before.sentence.rstrip('.')}. "
            "The plan is applied all the same (it did not cause this); run manage.py verify_orb "
            "and investigate."
        )
        if warning not in run.report.warnings:  # the rehearsal and the real run see the same book
            run.report.warning(warning)
    elif before.state == "skipped":
        run.report.note(f"Book check before the plan skipped: {before.sentence}.")
    return before


def _book_after(run, before):
    """The project's book check after the plan, before COMMIT: a plan that breaks a book that
    verified before fails, and the transaction rolls back."""
    if before.state == "none":
        run.result.book = "none"
        return
    if not run.result.full:
        run.result.book = "skipped: the target is not the code's current models"
        run.report.note("Book check after the plan skipped: the target state is not the code's current models.")
        return
    label = "Verifying the book after the plan" + (" (it was broken before)" if before.state == "broken" else "")
    with run.report.timed(label, timings=run.result.check_timings, key="book"):
        after = checks.book(run.connection)
        if after.state == "broken" and before.state == "verified":
            names = ", ".join(run.plan.names)
            raise MigrationFailed(f"The plan ({names}) broke the book: {after.sentence.rstrip('.')}.")
    run.result.book = after.summary()
    if after.state == "broken" and after.sentence != before.sentence:
        run.report.warning(f"The book does not verify after the plan: {after.sentence.rstrip('.')}.")


def _check_unchanged(run, executor):
    """The database's migration state is still the one the plan was made from."""
    if run.plan.steps and not executor.recorder.has_table():
        executor.recorder.ensure_schema()
    expected = [(step.migration.app_label, step.migration.name, step.backwards) for step in run.plan.steps]
    current = executor.migration_plan(run.plan.targets)
    if [(m.app_label, m.name, b) for m, b in current] != expected:
        raise MigrationFailed(
            "The database's migration state changed since the plan was made (another run?); run again."
        )


def _migrate(run, executor, state_before):
    """pre_migrate, the plan, post_migrate; the state after it and an executor that sees it."""
    raw, alias = run.plan.raw, run.connection.alias
    verbosity, interactive = run.signals["verbosity"], run.signals["interactive"]
    with _handler_output(run.report) as stdout:
        emit_pre_migrate_signal(verbosity, interactive, alias, stdout=stdout, apps=state_before.apps, plan=raw)
    how = " in one transaction" if run.atomic else " one by one"
    with run.report.timed(f"Applying {len(raw)} migration(s){how}", timings=run.result.check_timings, key="apply"):
        post_state = executor.migrate(
            run.plan.targets, plan=raw, state=state_before.clone(),
            fake=bool(run.fake and run.fake.marks_all), fake_initial=bool(run.fake and not run.fake.marks_all),
        )  # fmt: skip
    executor_after = MigrationExecutor(run.connection)
    if run.fake or any(backwards for _, backwards in raw):
        # Django's executor returns, for a backwards plan, the state before the *last*
        # migration it unapplied plus what is still applied; across several apps that
        # state still holds models whose tables are gone (undoing a first run left
        # contenttypes in it, and post_migrate then queried a dropped table).  The state
        # of what is applied now is the truth.  So it is for a fake: the executor does not move
        # the state past a migration it only records.
        post_state = executor_after._create_project_state(with_applied_migrations=True)
    post_apps = _rerender_real_models(post_state)
    with _handler_output(run.report) as stdout:
        emit_post_migrate_signal(verbosity, interactive, alias, stdout=stdout, apps=post_apps, plan=raw)
    return post_state, executor_after
