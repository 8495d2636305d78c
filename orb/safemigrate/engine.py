"""The applying modes: upgrade, rollback, dry-run, restore, prune.

Order of an applying run: directories writable -> lock (+ maintenance) -> database
checks (quick_check, graph, drift, disk) -> backup -> [rehearsal] -> apply with checks
-> verify -> journal.  Each mode below reads as that list; each step is one short method.
The run's own state (id, lock, timings, backup, its journal record) lives in ``run.Run``:
every path out writes one journal record and ends with a sentence saying what state the
database is in.  The engine never prints: it reports through ``events.Reporter``.
"""

import os
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from django.db.migrations.loader import MigrationLoader

from . import backup as backups
from . import checks, prune_records, signed
from . import drift as drifts
from . import prune as pruning
from .apply import run_plan
from .backends import backend_for
from .errors import MigrationFailed, Refused, SafeMigrateError, UsageError
from .events import Reporter
from .fake import Fake, require_confirmed_plan
from .journal import Journal, recorded_checksums
from .outcome import Outcome, run_summary
from .plan import build_plan, check_graph, new_executor, rewritten_tables
from .preservation import undone_run_counts_of
from .rehearsal import rehearse
from .run import Run
from .runs import rollback_candidate, rows_written_since
from .sizes import human_bytes
from .targets import resolve_targets

DRY_RUN_STATE = "Database unchanged (dry run)."


class NothingToRollBack(SafeMigrateError):
    """Not an error: there is no run to undo (exit 0)."""

    exit_code = 0


@dataclass
class Preflight:
    """What the preflight read: the journal, the migration graph and what is applied, drift."""

    records: list
    executor: object
    applied: set
    drift: object  # drift.DriftReport
    undone: dict | None = None  # --rollback: the journal record of the run being undone
    _start_state: object = field(default=None, repr=False)

    @property
    def applied_names(self):
        return sorted(drifts.key_name(k) for k in self.applied)

    def start_state(self):
        """The project state before the plan (cached: it is costly to build)."""
        if self._start_state is None:
            self._start_state = self.executor._create_project_state(with_applied_migrations=True)
        return self._start_state


def state_if_unexpected(run):
    """The database's state when an applying run stops on an error nobody foresaw (or Ctrl-C)."""
    if run.plan is None or run.plan.atomic:
        return "Database unchanged (the transaction was rolled back)."
    return "Database state unknown: see `safe_migrate --status`."


class Engine:
    """One safe_migrate invocation against one database alias."""

    def __init__(self, *, connection, backup_dir=None, progress=None, confirm=None, interactive=True):
        self.connection = connection
        self.backend = backend_for(connection, backup_dir=backup_dir)
        self.journal = Journal(self.backend.journal_path)
        self.report = Reporter(progress)
        self.confirm = confirm or (lambda question, **kwargs: False)
        self.interactive = interactive
        self.run = None  # the latest run

    @property
    def interrupted_state(self):
        """What the latest run's unexpected stop left the database in (None when unknown)."""
        return self.run.interrupted_state if self.run else None

    def _new_run(self, mode):
        self.run = Run(mode=mode, backend=self.backend, journal=self.journal, report=self.report)
        return self.run

    # --- the modes ----------------------------------------------------------------------
    def upgrade(self, *, app_label=None, migration_name=None, rehearse_first=False, allow_data_loss=False):
        targets = self._targets(app_label, migration_name)
        run = self._new_run("upgrade")
        with run.journaled(state_if_unexpected=state_if_unexpected):
            run.take_lock(maintenance=True)
            self.backend.create_if_missing(report=self.report)
            with self._verdict_first(run):
                preflight = self._preflight(
                    run, plan_for=lambda pre: build_plan(pre.executor, targets), beside_backup=True
                )
                return self._apply_plan(run, preflight, rehearse_first=rehearse_first, allow_data_loss=allow_data_loss)

    def rollback(self, *, allow_data_loss=False, rehearse_first=False):
        run = self._new_run("rollback")
        with run.journaled(state_if_unexpected=state_if_unexpected):
            run.take_lock(maintenance=True)
            self.backend.create_if_missing(report=self.report)
            with self._verdict_first(run):
                try:
                    preflight = self._preflight(
                        run, plan_for=lambda pre: self._rollback_plan(run, pre), beside_backup=True
                    )
                except NothingToRollBack as exc:
                    self._database_verdict(run)
                    return self._nothing_to_roll_back(run, exc.message)
                return self._apply_plan(run, preflight, rehearse_first=rehearse_first, allow_data_loss=allow_data_loss)

    def dry_run(self, *, app_label=None, migration_name=None, allow_data_loss=False):
        targets = self._targets(app_label, migration_name)
        run = self._new_run("dry-run")
        with run.journaled(state_if_stopped=DRY_RUN_STATE):
            run.take_lock(maintenance=False)
            preflight = self._preflight(
                run, plan_for=lambda pre: self._plan_and_start_state(pre, targets), read_only=True
            )
            if not run.plan.steps:
                record = run.record(outcome="nothing-to-do", migrations=[])
                return Outcome(
                    state="Database unchanged: no migrations to apply (nothing to rehearse).", payload=record
                )
            self._refuse_irreversible(run.plan, undone=None)
            self._check_space(run, preflight, rehearse=True, backup=False)
            with run.timed("rehearsal"):
                result = rehearse(
                    backend=self.backend, plan=run.plan, allow_data_loss=allow_data_loss, report=self.report
                )
            return self._rehearsed(run, result)

    def restore(self, *, name=None, foreign=False, allow_data_loss=False):
        run = self._new_run("restore")
        run.extra = {"safety_backup": None, **({"foreign": True} if foreign else {})}
        with run.journaled():
            records = self.journal.read_reporting(self.report)
            run.backup = self._foreign_file(name, records) if foreign else self._backup_to_restore(name, records)
            # Asked before the lock, on purpose: the lock turns maintenance on (the web app answers
            # 503), and the site must not stay down while an operator reads the question.  A refusal
            # here is journaled like every other refusal, before the lock as in the other modes.
            self._refuse_losing_signed_entries(run.backup, allow_data_loss=allow_data_loss)
            self._confirm_restore(run.backup, foreign=foreign)
            run.take_lock(maintenance=True)
            return self._replace_with(run, run.backup, foreign=foreign)

    def prune(self, *, keep):
        if keep is None or keep < 1:
            raise UsageError("--prune-backups needs --keep N with N at least 1 (the newest backup is never deleted).")
        run = self._new_run("prune")
        with run.journaled():
            decision = pruning.decide(self.backend, self.journal.read_reporting(self.report), keep=keep)
            lines = decision.lines(keep=keep)
            if not decision.delete:  # nothing changes: no lock, no record
                return self._nothing_to_prune(decision, lines)
            self._confirm_prune(decision, lines)
            run.take_lock(maintenance=False)
            return self._delete_backups(run, decision, lines)

    def fake(self, *, app_label=None, migration_name=None, initial=False, allow_mismatch=False, allow_data_loss=False):
        """--fake / --fake-initial (fake.py): an applying run that marks migrations without running them."""
        targets = self._targets(app_label, migration_name)
        policy = Fake(marks_all=not initial, allow_mismatch=allow_mismatch)
        run = self._new_run("fake")
        run.extra = policy.journal_fields()
        with run.journaled(state_if_unexpected=state_if_unexpected):
            confirmed = self._confirm_fake(targets, policy)
            run.take_lock(maintenance=True)
            self.backend.create_if_missing(report=self.report)
            preflight = self._preflight(run, plan_for=lambda pre: build_plan(pre.executor, targets))
            if not run.plan.steps:
                return self._nothing_to_apply(run, preflight)
            require_confirmed_plan(run.plan, confirmed)
            if not policy.marks_all:
                self._refuse_irreversible(run.plan, undone=None)
            self._check_space(run, preflight, rehearse=False)
            self._back_up(run, preflight)
            result = self._apply_real(run, allow_data_loss=allow_data_loss, undone_run_counts=None, fake=policy)
            run.committed_state = (
                f"Database changed: migrations were marked, but the run stopped before it finished; see "
                f"`safe_migrate --status` (backup {run.backup.path})."
            )
            self._verify(run)
            run.extra.update(faked=result.faked, mismatches=result.mismatches)
            record = self._record_applied(run, preflight, result)
            state = policy.state_line(run.plan, result, run.backup.path)
            return Outcome(state=state, payload=record, summary=run_summary(result))

    def prune_records(self, *, app_label=None):
        """--prune (prune_records.py): remove the records of migrations whose files are gone."""
        if app_label:
            self._targets(app_label, None)  # an unknown app is a usage error
        run = self._new_run("prune-records")
        with run.journaled(state_if_unexpected=lambda run: "Database unchanged (the transaction was rolled back)."):
            if not self.backend.exists():
                return Outcome(state="Database unchanged: there is no database yet, so no records to prune.")
            listed = self._confirm_prune_records(app_label)
            run.take_lock(maintenance=False)
            preflight = self._preflight(run, plan_for=lambda pre: None, missing_allowed=True)
            names = prune_records.records_to_prune(preflight.executor.loader, app_label=app_label)
            if not names:
                record = run.record(outcome="nothing-to-do", migrations=[], pruned=[])
                return Outcome(state="Database unchanged: no records of deleted migration files.", payload=record)
            prune_records.require_listed(names, listed)
            with run.stage("disk", "Checking free disk space"):
                self.backend.check_space(rewritten_tables=[], rehearse=False)
            self._back_up(run, preflight)
            self._keep_backup(run)
            with run.stage("prune", f"Removing {len(names)} record(s) of deleted migration files"):
                prune_records.delete_records(self.connection, names, report=self.report)
            self._verify(run)
            record = run.record(
                outcome="applied", migrations=[], pruned=names, backup=run.backup_entry(),
                applied_before=run.applied_before, applied_after=sorted(set(run.applied_before) - set(names)),
                checksums=preflight.drift.checksums,
            )  # fmt: skip
            return Outcome(
                state=prune_records.state_line(names, run.backup.path),
                payload=record,
                summary=["Removed the records of deleted migration files:"] + [f"  {n}" for n in names],
            )

    def backup(self):
        """A verified backup while the web app keeps working (``manage.py backup_orb``): the lock
        without maintenance (one run at a time, no 503), the integrity check, the disk check, then
        the backup a migration takes (online copy, sha256, verified, sidecar), journaled as mode
        ``backup`` so that --list-backups, --restore and --prune-backups count it."""
        run = self._new_run("backup")
        with run.journaled(state_if_stopped="Database unchanged."):
            if not self.backend.exists():
                raise Refused(f"There is no database {self.backend.label} to back up yet; run `safe_migrate` first.")
            run.take_lock(maintenance=False)
            self._check_database(run)
            with run.stage("disk", "Checking free disk space"):
                self.backend.check_space(rewritten_tables=[], rehearse=False)
            with run.stage("backup", "Backing up the database"):
                run.backup = backups.create_backup(
                    self.backend,
                    run_id=run.id,
                    kind="scheduled",
                    applied=self._applied_now() or [],
                    checksums=recorded_checksums(self.journal.read_reporting(self.report)),
                    report=self.report,
                )
            record = run.record(outcome="applied", migrations=[], backup=run.backup_entry())
        info = run.backup
        return Outcome(
            state=f"Database unchanged; backup {info.path} written and verified "
            f"(sha256 {info.sha256[:12]}…, {human_bytes(info.size)}).",
            payload=record,
        )

    # --- preflight ----------------------------------------------------------------------
    @staticmethod
    def _targets(app_label, migration_name):
        return resolve_targets(
            MigrationLoader(None, ignore_no_migrations=True), app_label=app_label, migration_name=migration_name
        )

    def _preflight(self, run, *, plan_for, read_only=False, missing_allowed=False, beside_backup=False):
        """Journal, integrity check, then graph, drift and the plan (``plan_for(preflight)``);
        ``missing_allowed``: an applied migration without a file is no refusal (``--prune``);
        ``beside_backup``: the live file is not read for it; the backup's own check, taken before
        anything is committed, gives the verdict (``_keep_backup``, ``_database_verdict``)."""
        records = self.journal.read_reporting(self.report)
        self._check_database(run, beside_backup=beside_backup)
        with (
            self.backend.read_only() if read_only else nullcontext(),
            run.stage("preflight", "Checking the migration graph and files"),
        ):
            preflight = self._read_migrations(records, missing_allowed=missing_allowed)
            run.applied_before = preflight.applied_names
            run.plan = plan_for(preflight)
        return preflight

    def _check_database(self, run, *, beside_backup=False):
        if not self.backend.exists():
            return
        if beside_backup:
            run.database_verdict_due = True  # the backup's own check decides it (_database_verdict)
            return
        self._check_live_database(run)

    def _check_live_database(self, run):
        with run.stage("quick_check", "Checking the database"):
            problems = self.backend.quick_check()
        self._refuse_damaged(problems)

    def _refuse_damaged(self, problems):
        if problems:
            raise Refused(
                f"The database {self.backend.label} failed its integrity check ({problems[0]}); "
                "nothing was changed. Restore a backup with `safe_migrate --restore` "
                "(see docs/DATABASE_MIGRATIONS.md)."
            )

    def _database_verdict(self, run):
        """The live database's integrity verdict, when it is still due and the backup did not give
        it (``_keep_backup``): a run that stops first, or has nothing to apply, has the backup's
        read-back decide if it verified (the copy holds every page of the file), else checks the
        live file now.  A damaged database is refused as if it had been checked first, and the
        copy of a database that failed its check is never kept."""
        if not run.database_verdict_due:
            return
        run.database_verdict_due = False
        if run.pending_backup is not None and run.pending_backup.verified():
            return
        try:
            self._check_live_database(run)
        except Refused:
            run.discard_unkept_backup()
            raise

    @contextmanager
    def _verdict_first(self, run):
        """Whatever stops the run before the verdict was taken, a damaged database is said first."""
        try:
            yield
        except Exception:
            self._database_verdict(run)
            raise

    def _read_migrations(self, records, *, missing_allowed=False):
        executor = new_executor(self.connection)
        check_graph(executor.loader, self.connection)
        applied = set(executor.loader.applied_migrations)
        drift = drifts.detect(executor.loader, applied=applied, recorded=recorded_checksums(records))
        for warning in drift.warnings:
            self.report.warning(warning)
        drift.refuse_if_drifted(missing_allowed=missing_allowed)
        if drift.first_seen:
            self.report.note(
                f"Recorded checksums of {len(drift.first_seen)} migration(s) applied earlier without safe_migrate.",
                verbosity=2,
            )
        return Preflight(records=records, executor=executor, applied=applied, drift=drift)

    @staticmethod
    def _plan_and_start_state(preflight, targets):
        plan = build_plan(preflight.executor, targets)
        preflight.start_state()  # read now, while the connection is read-only
        return plan

    def _confirm_fake(self, targets, policy):
        """--fake asks before the lock (the site stays up while the operator reads the question),
        from the plan read read-only; returns the names confirmed (None when not asked)."""
        if not policy.marks_all or not self.interactive:
            return None
        with self.backend.read_only():
            plan = build_plan(new_executor(self.connection), targets)
        if plan.steps and not self.confirm(policy.question(plan, self.backend.label)):
            raise Refused("Fake cancelled; nothing was marked.")
        return plan.names

    def _confirm_prune_records(self, app_label):
        """--prune lists the records before the lock and asks (unless --noinput); returns the names
        listed (None when not asked)."""
        if not self.interactive:
            return None
        with self.backend.read_only():
            names = prune_records.records_to_prune(MigrationLoader(self.connection), app_label=app_label)
        if names and not self.confirm(prune_records.question(names, self.backend.label)):
            raise Refused("Prune cancelled; no record was removed.")
        return names

    def _rollback_plan(self, run, preflight):
        """The plan that undoes the newest run --rollback may undo, and only that run."""
        undone, reason = rollback_candidate(preflight.records, applied=preflight.applied_names)
        if undone is None:
            raise NothingToRollBack(reason) if reason.startswith("Nothing") else Refused(reason)
        preflight.undone = undone
        run.plan = build_plan(preflight.executor, _targets_before(undone, preflight.executor.loader.graph))
        if sorted(run.plan.names) != sorted(undone["migrations"]):
            raise Refused(
                f"Run {undone['id']} cannot be undone on its own: undoing it would also unapply "
                f"{', '.join(sorted(set(run.plan.names) - set(undone['migrations'])))}; use --restore "
                "or a target (safe_migrate APP MIGRATION) instead."
            )
        return run.plan

    def _refuse_irreversible(self, plan, *, undone):
        for step in plan.steps:
            if step.backwards and step.irreversible_operations:
                op = step.irreversible_operations[0]
                extra = " " + self._restore_hint(undone) if undone else ""
                raise Refused(
                    f"{step.name} cannot be undone ({op.description.removeprefix('Undo: ')} is irreversible).{extra}"
                )

    def _restore_hint(self, undone):
        """Which backup --restore would bring back instead of undoing ``undone``, and its cost."""
        backup = (undone or {}).get("backup")
        path = backup.get("path") if isinstance(backup, dict) else None
        if not path or not os.path.exists(path):
            return "Its backup is gone, so --restore cannot bring back the state before it."
        added = rows_written_since(self.backend, path)
        cost = (
            f"at least the {added} row(s) added since it was taken (and any changes since) would be lost"
            if added is not None
            else "every change made since it was taken would be lost"
        )
        return f"`safe_migrate --restore {path}` would bring back the state before that run instead; {cost}."

    def _warn_before_applying(self, plan):
        others = self.backend.other_users()
        if others:
            self.report.warning(
                f"Other processes have the database open (pids {', '.join(map(str, others))}); their "
                "writes are kept (the database is migrated in place), but stop them if you can."
            )
        if not plan.atomic:
            self.report.warning(
                "This plan cannot run in one transaction (a migration has atomic = False): it is "
                "rehearsed on a copy, then applied step by step; if a step fails the database is "
                "restored from the backup, so writes by other processes during the run would be "
                "lost. Stop other writers now."
            )

    def _check_space(self, run, preflight, *, rehearse, backup=True):
        with run.stage("disk", "Checking free disk space"):
            tables = rewritten_tables(run.plan, preflight.start_state(), rewrites=self.backend.rewrites)
            self.backend.check_space(rewritten_tables=tables, rehearse=rehearse, backup=backup)

    # --- an applying run ----------------------------------------------------------------
    def _apply_plan(self, run, preflight, *, rehearse_first, allow_data_loss):
        """Backup, [rehearsal], apply with checks, verify, journal: the steps after the preflight."""
        plan, undone = run.plan, preflight.undone
        if not plan.steps:
            self._database_verdict(run)
            return self._nothing_to_apply(run, preflight)
        self._refuse_irreversible(plan, undone=undone)
        self._warn_before_applying(plan)
        checks.prepare_smoke()  # beside the disk check and the backup's copy, which wait in the database
        rehearsing = rehearse_first or not plan.atomic
        self._check_space(run, preflight, rehearse=rehearsing)
        self._back_up(run, preflight)
        undone_run_counts = (
            undone_run_counts_of(undone) if undone else None
        )  # what the undone run left, which the rollback may drop
        if rehearsing:
            with run.timed("rehearsal"):
                rehearse(
                    backend=self.backend,
                    plan=plan,
                    allow_data_loss=allow_data_loss,
                    report=self.report,
                    undone_run_counts=undone_run_counts,
                )
            self.report.emit("heading", "The real database:")
        result = self._apply_real(run, allow_data_loss=allow_data_loss, undone_run_counts=undone_run_counts)
        run.committed_state = (
            f"Database changed: {len(plan.steps)} migration(s) were committed {plan.direction}, but the run "
            "stopped before it finished; see `safe_migrate --status` (backup " + run.backup.path + ")."
        )
        self._verify(run)
        record = self._record_applied(run, preflight, result)
        if undone:
            self.report.warning(
                "A rollback means going back to the previous release of the code too: until "
                "that release is deployed, the web app answers 503 (the code is newer than the "
                "database)."
            )
        return Outcome(state=_applied_state(run, undone), payload=record, summary=run_summary(result))

    def _back_up(self, run, preflight):
        """The backup's copy.  Its sha256 and check go on reading it beside the run;
        ``_keep_backup`` takes their verdict and keeps it before anything is committed (before the
        first migration of a plan applied one by one)."""
        with run.stage("backup", "Backing up the database"):
            run.pending_backup = backups.start_backup(
                self.backend,
                run_id=run.id,
                kind="pre-migrate",
                applied=run.applied_before,
                checksums=preflight.drift.checksums,
                report=self.report,
            )

    def _keep_backup(self, run, *, stage=True):
        """``stage=False``: inside the plan's transaction, whose report times it among its checks."""
        pending, run.pending_backup = run.pending_backup, None
        with run.stage("backup_kept", "Verifying and keeping the backup") if stage else nullcontext():
            run.backup = pending.keep()
        if run.database_verdict_due:
            # The backup is a copy of every page of the live file, read back and checked whole:
            # the live database passed the same check (issue 17: one read instead of two).
            run.database_verdict_due = False
            self.report.note("The database passed its integrity check (read back in its backup).")
        info = run.backup
        self.report.note(f"Backup: {info.path} (sha256 {info.sha256[:12]}…, {human_bytes(info.size)})")

    def _apply_real(self, run, *, allow_data_loss, undone_run_counts, fake=None):
        plan = run.plan
        atomic = plan.atomic or bool(fake and fake.marks_all)  # marking every migration runs nothing
        if not atomic:
            self._keep_backup(run)  # a plan applied one by one is restored from it if a step fails
        info = run.backup
        try:
            with run.timed("apply"):
                return run_plan(
                    backend=self.backend,
                    plan=plan,
                    allow_data_loss=allow_data_loss,
                    report=self.report,
                    undone_run_counts=undone_run_counts,
                    fake=fake,
                    before_commit=lambda: self._keep_backup(run, stage=False),
                )
        except (MigrationFailed, Refused) as exc:  # data loss, a fake's schema mismatch, or a failure
            if atomic:
                exc.state = "Database unchanged (the transaction was rolled back)."
                raise
            self._restore_or_say(info)
            exc.state = f"Database restored from {info.path}."
            if isinstance(exc, Refused):
                raise MigrationFailed(exc.message, state=exc.state) from exc
            raise
        except BaseException as exc:
            if atomic:
                raise  # the transaction was rolled back
            # Step by step, some migrations may be committed: put the backup back.
            self._restore_or_say(info)
            raise MigrationFailed(
                f"The run was stopped ({exc.__class__.__name__}) while applying step by step.",
                state=f"Database restored from {info.path}.",
            ) from exc

    def _verify(self, run):
        with run.stage("verify", "Verifying the database after commit"):
            problems = self.backend.committed_problems()
            if problems:
                self._restore_after_failure(run.backup)
                run.committed_state = None  # the commit is undone: the state is the restored backup's
                raise MigrationFailed(
                    f"The database failed its integrity check after the commit ({problems[0]}); it was "
                    f"restored from {run.backup.path}.",
                    state=f"Database restored from {run.backup.path}.",
                )

    def _restore_after_failure(self, info):
        self.report.warning(f"Restoring the database from {info.path}.")
        self.backend.restore_from(info.path, report=self.report)

    def _restore_or_say(self, info):
        """Restore the backup after a failed step-by-step run; if even that fails, say what to do."""
        try:
            self._restore_after_failure(info)
        except Exception as exc:
            raise MigrationFailed(
                f"A step failed and restoring the backup failed too ({exc.__class__.__name__}: {exc}); "
                f"restore {info.path} by hand (docs/DATABASE_MIGRATIONS.md, 'Restoring by hand').",
                state=f"Database partially migrated: restore it by hand from {info.path}.",
            ) from exc

    # --- records --------------------------------------------------------------------------
    @staticmethod
    def _record_applied(run, preflight, result):
        plan, undone = run.plan, preflight.undone
        after_keys = [tuple(n.split(".", 1)) for n in result.applied_after]
        return run.record(
            direction=plan.direction,
            outcome="applied",
            migrations=plan.names,
            targets=[list(t) for t in plan.targets] if plan.targets else [],
            rolls_back=undone["id"] if undone else None,
            backup=run.backup_entry(),
            applied_before=run.applied_before,
            applied_after=result.applied_after,
            checksums=drifts.checksums_of(preflight.executor.loader, after_keys),
            **_checked(result, plan),
            allowed_losses=[loss.sentence() for loss in result.comparison.losses],
            counts_after=result.counts_after,
        )

    @staticmethod
    def _nothing_to_apply(run, preflight):
        record = run.record(
            direction="none",
            outcome="nothing-to-do",
            migrations=[],
            applied_before=run.applied_before,
            applied_after=run.applied_before,
            checksums=preflight.drift.checksums,
        )
        return Outcome(state="Database unchanged: no migrations to apply.", payload=record)

    @staticmethod
    def _nothing_to_roll_back(run, message):
        record = run.record(outcome="nothing-to-do", migrations=[], note=message)
        return Outcome(state=f"Database unchanged: {message[0].lower()}{message[1:]}", payload=record)

    @staticmethod
    def _rehearsed(run, result):
        plan = run.plan
        record = run.record(
            direction=plan.direction,
            outcome="rehearsed",
            migrations=plan.names,
            **_checked(result, plan),
        )
        return Outcome(
            state=f"Database unchanged: dry run passed; {len(plan.steps)} migration(s) would "
            f"{'be unapplied' if plan.direction == 'backwards' else 'apply'}.",
            payload=record,
            summary=run_summary(result),
        )

    # --- restore ------------------------------------------------------------------------
    def _backup_to_restore(self, name, records):
        """The named backup, or the newest the journal knows; refused unless it counts and verifies."""
        if name:
            chosen = backups.find_backup(self.backend, name, records)
            if chosen.untrusted:
                good = self._first_good_backup(records, exclude=chosen.path)
                hint = f" A backup that does count: {good.path}." if good else ""
                raise Refused(
                    f"The file {chosen.path} does not count as a backup ({chosen.untrusted}), so it was not "
                    f"restored and nothing was changed; if you know where it comes from, run "
                    f"`safe_migrate --restore {chosen.path} --foreign` and type its name to confirm.{hint}"
                )
        else:
            # "Newest" is the journal's order, never a sidecar's date: files nobody journaled are never chosen.
            found = [info for info in backups.known_backups(self.backend, records) if info.journaled]
            backups.require_backups(found)
            chosen = found[0]
        problem = backups.verify_backup(self.backend, chosen)
        if problem:
            good = self._first_good_backup(records, exclude=chosen.path)
            hint = f" A backup that verifies: {good.path}." if good else " No other backup verifies."
            raise Refused(f"The backup {chosen.path} cannot be used: {problem}.{hint}")
        return chosen

    def _foreign_file(self, name, records):
        """``--restore PATH --foreign``: a file safe_migrate did not write (or cannot vouch for),
        restored only after the backend's checks and the operator typing its name."""
        if not name:
            raise UsageError("--foreign goes with --restore PATH: name the file to restore.")
        if not self.interactive:
            raise Refused(
                "--foreign needs an interactive confirmation (the operator types the file's name), so it cannot "
                "run with --noinput; run it again without --noinput."
            )
        chosen = backups.find_backup(self.backend, name, records)
        problems = self.backend.foreign_backup_problems(chosen.path)
        if problems:
            raise Refused(
                f"The file {chosen.path} cannot be restored: {problems[0]}; nothing was changed. "
                "Choose another file (see `safe_migrate --list-backups`)."
            )
        chosen.sha256 = backups.sha256_file(chosen.path)
        return chosen

    def _refuse_losing_signed_entries(self, chosen, *, allow_data_loss):
        """A backup that lacks entries signed since it was taken is refused without --allow-data-loss."""
        missing = signed.missing_from_backup(self.backend, chosen.path, self.report)
        if not missing:
            return
        listed = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        if allow_data_loss:
            self.report.warning(f"Restoring {chosen.path} takes out what was signed since it was taken: {listed}.")
            return
        raise Refused(
            f"The backup {chosen.path} lacks what was signed since it was taken: {listed}; restoring it "
            "would take them out of the record. Choose a newer backup (--list-backups), or re-run with "
            "--allow-data-loss if that is intended (the safety backup keeps them).",
            details={"signed_since_backup": missing},
        )

    def _confirm_restore(self, chosen, *, foreign):
        if foreign:
            typed = os.path.basename(chosen.path)
            why = chosen.untrusted or "safe_migrate can vouch for it"
            if not self.confirm(
                f"{chosen.path} is a foreign file: safe_migrate cannot vouch for it ({why}). "
                f"Replace the database {self.backend.label} with it? Rows written since it was made are kept only "
                f"in the safety backup.",
                expect=typed,
            ):
                raise Refused(f"Restore cancelled (the name {typed!r} was not typed); nothing was changed.")
        elif self.interactive and not self.confirm(
            f"Replace the database {self.backend.label} with the backup {chosen.path} "
            f"(taken {chosen.created_at})? Rows written since then are kept only in the safety backup."
        ):
            raise Refused("Restore cancelled; nothing was changed.")

    def _replace_with(self, run, chosen, *, foreign):
        """Take the safety backup, then copy ``chosen`` into the live database; journal it."""
        with run.stage("safety_backup", "Taking a safety backup of the current database"):
            safety = self._safety_backup(run)
        run.extra["safety_backup"] = {"path": safety.path, "sha256": safety.sha256, "verified": safety.verified}
        if foreign and backups.sha256_file(chosen.path) != chosen.sha256:
            raise Refused(
                f"The file {chosen.path} changed after it was confirmed; nothing was restored. Run the restore again.",
                state=f"Database unchanged; a safety backup is in {safety.path}.",
            )
        with run.stage("restore", f"Restoring {os.path.basename(chosen.path)}"):
            self.backend.restore_from(chosen.path, report=self.report)
        with run.stage("verify", "Verifying the restored database"):
            problems = self.backend.quick_check()
        if problems:
            raise MigrationFailed(
                f"The restored database failed its integrity check ({problems[0]}).",
                state=f"Database restored from {chosen.path}, but it failed the check; "
                f"the previous state is in {safety.path}.",
            )
        if foreign:
            # A foreign file has no sidecar to trust: read its state from the restored database,
            # and leave the migration files' checksums to be recorded on first sight.
            applied, checksums = self._applied_now(), None
        else:
            applied, checksums = chosen.applied, chosen.checksums
        record = run.record(
            outcome="applied", migrations=[], backup=run.backup_entry(), applied_after=applied, checksums=checksums
        )
        return Outcome(
            state=f"Database restored from {chosen.path}; the previous state is kept in {safety.path}.", payload=record
        )

    def _applied_now(self):
        try:
            with self.backend.read_only():
                return sorted(drifts.key_name(k) for k in MigrationLoader(self.connection).applied_migrations)
        except Exception:
            return None

    def _first_good_backup(self, records, *, exclude):
        for info in backups.known_backups(self.backend, records):
            if info.journaled and info.path != exclude and backups.verify_backup(self.backend, info) is None:
                return info
        return None

    def _safety_backup(self, run):
        if self.backend.exists() and not self.backend.quick_check():
            applied = self._applied_now() or []
            return backups.create_backup(
                self.backend,
                run_id=run.id,
                kind="safety",
                applied=applied,
                checksums=recorded_checksums(self.journal.records()),
                report=self.report,
            )
        # The current database is damaged (or missing): keep its bytes as they are, unverified.
        return backups.byte_copy(self.backend, run_id=run.id)

    # --- prune ---------------------------------------------------------------------------
    @staticmethod
    def _prune_payload(decision):
        return {
            "kept": [b.path for b in decision.kept],
            "reasons": decision.reasons,
            "not_counted": decision.left_alone,
        }

    def _nothing_to_prune(self, decision, lines):
        extra = f" and {len(decision.reasons)} beyond them (reasons above)" if decision.reasons else ""
        return Outcome(
            state=f"Backups unchanged: kept {len(decision.kept)} backup(s), the newest "
            f"{decision.newest} verified{extra}; nothing to delete.",
            payload={"deleted": [], **self._prune_payload(decision)},
            summary=lines,
        )

    def _confirm_prune(self, decision, lines):
        if self.interactive and not self.confirm(
            "\n".join(lines) + "\nDelete these backups?\n" + "\n".join(f"  {b.path}" for b in decision.delete)
        ):
            raise Refused("Prune cancelled; no backup was deleted.", state="Database unchanged; backups unchanged.")

    def _delete_backups(self, run, decision, lines):
        for info in decision.delete:
            backups.delete_backup(info)
            self.report.note(f"Deleted {info.path}")
        record = run.record(
            outcome="applied",
            migrations=[],
            deleted=[b.path for b in decision.delete],
            kept=[b.path for b in decision.kept],
            kept_reasons=decision.reasons,
            not_counted=decision.left_alone,
        )
        extra = f" + {len(decision.reasons)} beyond them" if decision.reasons else ""
        return Outcome(
            state=f"Database unchanged; deleted {len(decision.delete)} backup(s), kept "
            f"{len(decision.kept)} (the newest {decision.newest} verified{extra}).",
            payload={**record, "reasons": decision.reasons},
            summary=lines,
        )

    # --- steps other guarded runs reuse ----------------------------------------------------
    # A change of the data guarded like a migration (manage.py import_flask_orb, orb.flask_import
    # .guarded) runs as a Run of its own mode, checks the database first and verifies it after its
    # commit exactly as the applying modes do (restoring the run's backup when that fails).
    new_run = _new_run
    check_database = _check_database
    verify_committed = _verify


def _targets_before(undone, graph):
    """Per app the undone run touched, the leaves of what was applied before it (or zero)."""
    before = set(undone.get("applied_before") or [])
    targets = []
    for app in sorted({name.split(".", 1)[0] for name in undone["migrations"]}):
        keys = [tuple(n.split(".", 1)) for n in before if n.split(".", 1)[0] == app]
        keys = [k for k in keys if k in graph.nodes]
        leaves = [k for k in keys if not any(child in keys for child in graph.node_map[k].children)]
        targets.extend(leaves or [(app, None)])
    return targets


def _applied_state(run, undone):
    """The last line of an applying run that committed."""
    count, path = len(run.plan.steps), run.backup.path
    noun = "migration" if count == 1 else "migrations"
    if undone:
        return f"Database rolled back: {count} {noun} undone (run {undone['id']}); backup {path}"
    if run.plan.direction == "backwards":
        return f"Database migrated backwards: {count} {noun} unapplied; backup {path}"
    return f"Database upgraded: {count} {noun} applied; backup {path}"


def _checked(result, plan):
    """What the checks of an applied or rehearsed plan found, as journal fields."""
    return {
        "migration_timings": result.timings,
        "check_timings": result.check_timings,
        "rows_before": result.comparison.rows_before,
        "rows_after": result.comparison.rows_after,
        "smoke": result.smoke,
        "book": result.book,
        "book_before": result.book_before,
        "atomic": plan.atomic,
        "checked_tables": result.checked_tables,  # what the checks inside the transaction read (null: all)
    }
