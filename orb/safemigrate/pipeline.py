"""The applying modes: upgrade, dry-run, rollback, restore, prune.

Order of an applying run: directories writable -> lock (+ maintenance) -> database
checks (quick_check, graph, drift, disk) -> backup -> [rehearsal] -> apply with checks
-> verify -> journal.  Every path out writes one journal record and ends with a
sentence saying what state the database is in.
"""
import os
import time

from django.db.migrations.loader import MigrationLoader

from . import backup as backups
from . import drift as drifts
from .apply import run_plan
from .backends import backend_for
from .errors import DataLossRefused, MigrationFailed, Refused, SafeMigrateError, UsageError
from .events import Reporter
from .journal import Journal, new_run_id, now_iso, recorded_checksums, who
from .outcome import Outcome
from .plan import build_plan, check_graph, new_executor, rewritten_tables
from .preservation import undo_allowance
from .rehearsal import rehearse
from .runs import rollback_candidate, rows_written_since
from .sizes import human_bytes
from .targets import resolve_targets


class Engine:
    """One safe_migrate invocation against one database alias."""

    def __init__(self, *, connection, backup_dir=None, progress=None, confirm=None, interactive=True):
        self.connection = connection
        self.backend = backend_for(connection, backup_dir=backup_dir)
        self.journal = Journal(self.backend.journal_path)
        self.report = Reporter(progress)
        self.confirm = confirm or (lambda question, **kwargs: False)
        self.interactive = interactive
        self.lock = None
        self.timings = {}
        self.undone = None
        self.committed_state = None
        self.interrupted_state = None

    # --- helpers ------------------------------------------------------------------
    def stage(self, name, message):
        return self.report.timed(message, timings=self.timings, key=name)

    def read_journal(self):
        return self.journal.read_reporting(self.report)

    def _record(self, **fields):
        record = {
            "id": self.run_id,
            "started_at": self.started_at,
            "finished_at": now_iso(),
            "user": who(),
            "pid": os.getpid(),
            "engine": self.backend.engine,
            "database": self.backend.label,
            "timings": self.timings,
            "warnings": self.report.warnings,
        }
        record.update(fields)
        try:
            self.journal.append(record)
        except OSError as exc:
            self.report.warning(f"Could not write the journal {self.journal.path} ({exc.strerror}).")
        return record

    def _begin(self, mode, *, maintenance):
        self.run_id = new_run_id()
        self.started_at = now_iso()
        self.mode = mode
        self.backend.check_writable()
        self.lock = self.backend.run_lock()
        stale = self.lock.acquire(mode=mode, maintenance=maintenance, run_id=self.run_id)
        if stale is not None:
            self.report.warning(
                f"Took over a lock left by a run that is gone ({stale.describe()}); "
                "that run was interrupted, and the database is checked before anything else."
            )
            self.journal.append({
                "id": stale.run_id or f"unknown-{stale.pid}",
                "started_at": stale.started_at,
                "finished_at": now_iso(),
                "mode": stale.mode,
                "outcome": "interrupted",
                "note": f"recorded by run {self.run_id}, which found its lock (pid {stale.pid}) stale",
                "database": self.backend.label,
                # A backup the dead run finished but never journaled counts once recorded here.
                **backups.adopt_interrupted(self.backend, stale.run_id),
            })
        self.backend.cleanup_leftovers(report=self.report)
        backups.remove_leftovers(self.backend, report=self.report)

    def _end(self):
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def _check_database(self):
        if self.backend.exists():
            with self.stage("quick_check", "Checking the database"):
                problems = self.backend.quick_check()
            if problems:
                raise Refused(
                    f"The database {self.backend.label} failed its integrity check ({problems[0]}); "
                    "nothing was changed. Restore a backup with `safe_migrate --restore` "
                    "(see docs/DATABASE_MIGRATIONS.md)."
                )

    def _loader_state(self, records):
        executor = new_executor(self.connection)
        check_graph(executor.loader, self.connection)
        applied = set(executor.loader.applied_migrations)
        report = drifts.detect(executor.loader, applied=applied, recorded=recorded_checksums(records))
        for warning in report.warnings:
            self.report.warning(warning)
        report.refuse_if_drifted()
        if report.first_seen:
            self.report.note(
                f"Recorded checksums of {len(report.first_seen)} migration(s) applied earlier without "
                "safe_migrate.", verbosity=2,
            )
        return executor, applied, report

    def _warn_other_users(self):
        others = self.backend.other_users()
        if others:
            self.report.warning(
                f"Other processes have the database open (pids {', '.join(map(str, others))}); their "
                "writes are kept (the database is migrated in place), but stop them if you can."
            )

    def _applied_names(self, applied):
        return sorted(drifts.key_name(k) for k in applied)

    # --- default mode ---------------------------------------------------------------
    def upgrade(self, *, app_label=None, migration_name=None, rehearse_first=False, allow_data_loss=False):
        targets = resolve_targets(MigrationLoader(None, ignore_no_migrations=True),
                                  app_label=app_label, migration_name=migration_name)
        return self._applying_run(mode="upgrade", targets=targets, rehearse_first=rehearse_first,
                                  allow_data_loss=allow_data_loss)

    def rollback(self, *, allow_data_loss=False, rehearse_first=False):
        return self._applying_run(mode="rollback", targets=None, rehearse_first=rehearse_first,
                                  allow_data_loss=allow_data_loss)

    def _applying_run(self, *, mode, targets, rehearse_first, allow_data_loss):
        info = None
        plan = None
        applied_before = []
        self.committed_state = None
        try:
            # Inside the try: a refusal to start (lock held, directory not writable) is journaled too.
            self._begin(mode, maintenance=True)
            self.backend.create_if_missing(report=self.report)
            records = self.read_journal()
            self._check_database()
            with self.stage("preflight", "Checking the migration graph and files"):
                executor, applied, drift_report = self._loader_state(records)
                applied_before = self._applied_names(applied)
                undone = None
                if mode == "rollback":
                    undone, targets = self._rollback_targets(records, executor, applied)
                plan = build_plan(executor, targets)
                if mode == "rollback" and sorted(plan.names) != sorted(undone["migrations"]):
                    raise Refused(
                        f"Run {undone['id']} cannot be undone on its own: undoing it would also unapply "
                        f"{', '.join(sorted(set(plan.names) - set(undone['migrations'])))}; use --restore "
                        "or a target (safe_migrate APP MIGRATION) instead."
                    )
            if not plan.steps:
                self._record(mode=mode, direction="none", outcome="nothing-to-do", migrations=[],
                             applied_before=applied_before, applied_after=applied_before,
                             checksums=drift_report.checksums)
                return Outcome(state="Database unchanged: no migrations to apply.",
                               payload=self._last_record())
            self._refuse_irreversible(plan, mode=mode)
            self._warn_other_users()
            if not plan.atomic:
                self.report.warning(
                    "This plan cannot run in one transaction (a migration has atomic = False): it is "
                    "rehearsed on a copy, then applied step by step; if a step fails the database is "
                    "restored from the backup, so writes by other processes during the run would be "
                    "lost. Stop other writers now."
                )
            do_rehearse = rehearse_first or not plan.atomic
            with self.stage("disk", "Checking free disk space"):
                state = executor._create_project_state(with_applied_migrations=True)
                self.backend.check_space(rewritten_tables=rewritten_tables(plan, state), rehearse=do_rehearse)
            with self.stage("backup", "Backing up the database"):
                info = backups.create_backup(self.backend, run_id=self.run_id, kind="pre-migrate",
                                             applied=applied_before, checksums=drift_report.checksums,
                                             report=self.report)
            self.report.note(f"Backup: {info.path} (sha256 {info.sha256[:12]}…, {human_bytes(info.size)})")
            allowance = undo_allowance(undone) if undone else None
            if do_rehearse:
                started = time.monotonic()
                rehearse(backend=self.backend, plan=plan, allow_data_loss=allow_data_loss, report=self.report,
                         allowance=allowance)
                self.timings["rehearsal"] = round(time.monotonic() - started, 4)
                self.report.emit("heading", "The real database:")
            result = self._apply_real(plan=plan, info=info, allow_data_loss=allow_data_loss, allowance=allowance)
            self.committed_state = (
                f"Database changed: {len(plan.steps)} migration(s) were committed {plan.direction}, but the run "
                "stopped before it finished; see `safe_migrate --status` (backup " + info.path + ")."
            )
            with self.stage("verify", "Verifying the database after commit"):
                problems = self.backend.quick_check() + self.backend.foreign_key_problems()
                if problems:
                    self._restore_after_failure(info)
                    raise MigrationFailed(
                        f"The database failed its integrity check after the commit ({problems[0]}); it was "
                        f"restored from {info.path}.", state=f"Database restored from {info.path}.",
                    )
            new_checksums = drifts.checksums_of(executor.loader,
                                                [tuple(n.split(".", 1)) for n in result.applied_after])
            record = self._record(
                mode=mode, direction=plan.direction, outcome="applied", migrations=plan.names,
                targets=[list(t) for t in plan.targets] if plan.targets else [],
                rolls_back=undone["id"] if mode == "rollback" else None,
                backup={"path": info.path, "sha256": info.sha256},
                applied_before=applied_before, applied_after=result.applied_after,
                checksums=new_checksums,
                migration_timings=result.timings, check_timings=result.check_timings,
                rows_before=result.comparison.rows_before, rows_after=result.comparison.rows_after,
                smoke=result.smoke, atomic=plan.atomic,
                allowed_losses=[loss.sentence() for loss in result.comparison.losses],
                counts_after=result.counts_after,
            )
            count = len(plan.steps)
            noun = "migration" if count == 1 else "migrations"
            if mode == "rollback":
                state_line = (f"Database rolled back: {count} {noun} undone (run {undone['id']}); "
                              f"backup {info.path}")
                self.report.warning(
                    "A rollback means going back to the previous release of the code too: until "
                    "that release is deployed, the web app answers 503 (the code is newer than the "
                    "database)."
                )
            elif plan.direction == "backwards":
                state_line = f"Database migrated backwards: {count} {noun} unapplied; backup {info.path}"
            else:
                state_line = f"Database upgraded: {count} {noun} applied; backup {info.path}"
            return Outcome(state=state_line, payload=record,
                           summary=self._summary(result))
        except NothingToRollBack as exc:
            self._record(mode=mode, outcome="nothing-to-do", migrations=[], note=exc.message)
            return Outcome(state=f"Database unchanged: {exc.message[0].lower()}{exc.message[1:]}",
                           payload=self._last_record())
        except SafeMigrateError as exc:
            outcome = "refused" if exc.exit_code == 3 else "failed"
            if self.committed_state:
                exc.state = self.committed_state
            self._record(mode=mode, direction=plan.direction if plan else None, outcome=outcome,
                         migrations=plan.names if plan else [], error=exc.message,
                         backup={"path": info.path, "sha256": info.sha256} if info else None,
                         applied_before=applied_before, state=exc.state)
            raise
        except BaseException as exc:  # an unexpected error or Ctrl-C: still one record, the true state
            state = self.committed_state or (
                "Database unchanged (the transaction was rolled back)." if plan is None or plan.atomic
                else "Database state unknown: see `safe_migrate --status`.")
            self._record(mode=mode, direction=plan.direction if plan else None, outcome="failed",
                         migrations=plan.names if plan else [], error=f"{exc.__class__.__name__}: {exc}",
                         backup={"path": info.path, "sha256": info.sha256} if info else None,
                         applied_before=applied_before, state=state)
            self.interrupted_state = state
            raise
        finally:
            self._end()

    def _last_record(self):
        records = self.journal.records()
        return records[-1] if records else None

    def _summary(self, result):
        lines = []
        before, after = result.comparison.rows_before, result.comparison.rows_after
        for table in sorted(set(before) | set(after)):
            b, a = before.get(table), after.get(table)
            if b != a:
                lines.append(f"  {table}: {b if b is not None else '-'} -> {a if a is not None else '-'} rows")
        if lines:
            lines.insert(0, "Rows that changed:")
        lines.append(f"Checks: integrity ok, foreign keys ok, {result.models_checked} models readable, "
                     f"{self._data_summary(result.comparison.losses)}, smoke {result.smoke}.")
        return lines

    @staticmethod
    def _data_summary(losses):
        """Says "data preserved", or what --allow-data-loss let go ("data loss allowed: 2 rows dropped")."""
        if not losses:
            return "data preserved"
        rows = sum(loss.lost for loss in losses if loss.column is None)
        values = sum(loss.lost for loss in losses if loss.column is not None)
        parts = [f"{n} {noun}{'' if n == 1 else 's'}" for n, noun in ((rows, "row"), (values, "value")) if n]
        return f"data loss allowed: {' and '.join(parts)} dropped"

    def _refuse_irreversible(self, plan, *, mode):
        for step in plan.steps:
            if step.backwards and step.irreversible_operations:
                op = step.irreversible_operations[0]
                extra = ""
                if mode == "rollback":
                    extra = " " + self._restore_hint(self.undone)
                raise Refused(
                    f"{step.name} cannot be undone ({op.description.removeprefix('Undo: ')} is "
                    f"irreversible).{extra}"
                )

    def _restore_hint(self, undone):
        """Which backup --restore would bring back instead of undoing ``undone``, and its cost."""
        backup = (undone or {}).get("backup")
        path = backup.get("path") if isinstance(backup, dict) else None
        if not path or not os.path.exists(path):
            return "Its backup is gone, so --restore cannot bring back the state before it."
        added = rows_written_since(self.backend, path)
        cost = (f"at least the {added} row(s) added since it was taken (and any changes since) would be lost"
                if added is not None else "every change made since it was taken would be lost")
        return f"`safe_migrate --restore {path}` would bring back the state before that run instead; {cost}."

    def _rollback_targets(self, records, executor, applied):
        candidate, reason = rollback_candidate(records, applied=self._applied_names(applied))
        self.undone = candidate
        if candidate is None:
            raise NothingToRollBack(reason) if reason.startswith("Nothing") else Refused(reason)
        before = set(candidate.get("applied_before") or [])
        apps_touched = sorted({name.split(".", 1)[0] for name in candidate["migrations"]})
        targets = []
        graph = executor.loader.graph
        for app in apps_touched:
            keys = [tuple(n.split(".", 1)) for n in before if n.split(".", 1)[0] == app]
            keys = [k for k in keys if k in graph.nodes]
            leaves = [k for k in keys if not any(child in keys for child in graph.node_map[k].children)]
            if leaves:
                targets.extend(leaves)
            else:
                targets.append((app, None))
        return candidate, targets

    def _apply_real(self, *, plan, info, allow_data_loss, allowance=None):
        started = time.monotonic()
        try:
            result = run_plan(backend=self.backend, plan=plan, allow_data_loss=allow_data_loss,
                              report=self.report, allowance=allowance)
        except (MigrationFailed, DataLossRefused) as exc:
            if plan.atomic:
                exc.state = "Database unchanged (the transaction was rolled back)."
                raise
            self._restore_or_say(info)
            exc.state = f"Database restored from {info.path}."
            if isinstance(exc, DataLossRefused):
                raise MigrationFailed(exc.message, state=exc.state) from exc
            raise
        except BaseException as exc:
            if plan.atomic:
                raise  # the transaction was rolled back
            # Step by step, some migrations may be committed: put the backup back.
            self._restore_or_say(info)
            raise MigrationFailed(f"The run was stopped ({exc.__class__.__name__}) while applying step by step.",
                                  state=f"Database restored from {info.path}.") from exc
        self.timings["apply"] = round(time.monotonic() - started, 4)
        return result

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

    # --- dry run ----------------------------------------------------------------------
    def dry_run(self, *, app_label=None, migration_name=None, allow_data_loss=False):
        targets = resolve_targets(MigrationLoader(None, ignore_no_migrations=True),
                                  app_label=app_label, migration_name=migration_name)
        self._begin("dry-run", maintenance=False)
        plan = None
        try:
            records = self.read_journal()
            self._check_database()
            with self.backend.read_only():
                with self.stage("preflight", "Checking the migration graph and files"):
                    executor, applied, _ = self._loader_state(records)
                    plan = build_plan(executor, targets)
                    state = executor._create_project_state(with_applied_migrations=True)
            if not plan.steps:
                self._record(mode="dry-run", outcome="nothing-to-do", migrations=[])
                return Outcome(state="Database unchanged: no migrations to apply (nothing to rehearse).",
                               payload=self._last_record())
            self._refuse_irreversible(plan, mode="dry-run")
            with self.stage("disk", "Checking free disk space"):
                self.backend.check_space(rewritten_tables=rewritten_tables(plan, state), rehearse=True,
                                         backup=False)
            started = time.monotonic()
            result = rehearse(backend=self.backend, plan=plan, allow_data_loss=allow_data_loss, report=self.report)
            self.timings["rehearsal"] = round(time.monotonic() - started, 4)
            record = self._record(
                mode="dry-run", direction=plan.direction, outcome="rehearsed", migrations=plan.names,
                migration_timings=result.timings, check_timings=result.check_timings,
                rows_before=result.comparison.rows_before, rows_after=result.comparison.rows_after,
                smoke=result.smoke, atomic=plan.atomic,
            )
            return Outcome(
                state=f"Database unchanged: dry run passed; {len(plan.steps)} migration(s) would "
                      f"{'be unapplied' if plan.direction == 'backwards' else 'apply'}.",
                payload=record, summary=self._summary(result),
            )
        except SafeMigrateError as exc:
            self._record(mode="dry-run", outcome="refused" if exc.exit_code == 3 else "failed",
                         migrations=plan.names if plan else [], error=exc.message)
            exc.state = "Database unchanged (dry run)."
            raise
        finally:
            self._end()

    # --- restore ------------------------------------------------------------------------
    def restore(self, *, name=None, foreign=False):
        records = self.read_journal()
        if foreign:
            return self._restore_foreign(name, records)
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
        if self.interactive and not self.confirm(
            f"Replace the database {self.backend.label} with the backup {chosen.path} "
            f"(taken {chosen.created_at})? Rows written since then are kept only in the safety backup."
        ):
            raise Refused("Restore cancelled; nothing was changed.")
        return self._replace_with(chosen, foreign=False)

    def _restore_foreign(self, name, records):
        """``--restore PATH --foreign``: a file safe_migrate did not write (or cannot vouch for),
        restored only after the backend's checks and the operator typing its name."""
        if not name:
            raise UsageError("--foreign goes with --restore PATH: name the file to restore.")
        if not self.interactive:
            raise Refused("--foreign needs an interactive confirmation (the operator types the file's name), so it cannot "
                          "run with --noinput; run it again without --noinput.")
        chosen = backups.find_backup(self.backend, name, records)
        problems = self.backend.foreign_backup_problems(chosen.path)
        if problems:
            raise Refused(f"The file {chosen.path} cannot be restored: {problems[0]}; nothing was changed. "
                          "Choose another file (see `safe_migrate --list-backups`).")
        chosen.sha256 = backups.sha256_file(chosen.path)
        typed = os.path.basename(chosen.path)
        why = chosen.untrusted or "safe_migrate can vouch for it"
        if not self.confirm(
            f"{chosen.path} is a foreign file: safe_migrate cannot vouch for it ({why}). "
            f"Replace the database {self.backend.label} with it? Rows written since it was made are kept only "
            f"in the safety backup.", expect=typed,
        ):
            raise Refused(f"Restore cancelled (the name {typed!r} was not typed); nothing was changed.")
        return self._replace_with(chosen, foreign=True)

    def _replace_with(self, chosen, *, foreign):
        """Take the safety backup, then copy ``chosen`` into the live database; journal it."""
        self._begin("restore", maintenance=True)
        safety = None
        extra = {"foreign": True} if foreign else {}
        try:
            with self.stage("safety_backup", "Taking a safety backup of the current database"):
                safety = self._safety_backup()
            if foreign and backups.sha256_file(chosen.path) != chosen.sha256:
                raise Refused(f"The file {chosen.path} changed after it was confirmed; nothing was restored. "
                              "Run the restore again.", state=f"Database unchanged; a safety backup is in {safety.path}.")
            with self.stage("restore", f"Restoring {os.path.basename(chosen.path)}"):
                self.backend.restore_from(chosen.path, report=self.report)
            with self.stage("verify", "Verifying the restored database"):
                problems = self.backend.quick_check()
            if problems:
                raise MigrationFailed(f"The restored database failed its integrity check ({problems[0]}).",
                                      state=f"Database restored from {chosen.path}, but it failed the check; "
                                            f"the previous state is in {safety.path}.")
            if foreign:
                # A foreign file has no sidecar to trust: read its state from the restored database,
                # and leave the migration files' checksums to be recorded on first sight.
                applied, checksums = self._applied_now(), None
            else:
                applied, checksums = chosen.applied, chosen.checksums
            record = self._record(
                mode="restore", outcome="applied", migrations=[],
                backup={"path": chosen.path, "sha256": chosen.sha256},
                safety_backup=self._safety_entry(safety),
                applied_after=applied, checksums=checksums, **extra,
            )
            return Outcome(state=f"Database restored from {chosen.path}; the previous state is kept in "
                                 f"{safety.path}.", payload=record)
        except SafeMigrateError as exc:
            self._record(mode="restore", outcome="refused" if exc.exit_code == 3 else "failed", migrations=[],
                         error=exc.message, backup={"path": chosen.path, "sha256": chosen.sha256},
                         safety_backup=self._safety_entry(safety), **extra)
            raise
        except BaseException as exc:
            self._record(mode="restore", outcome="failed", migrations=[], error=f"{exc.__class__.__name__}: {exc}",
                         backup={"path": chosen.path, "sha256": chosen.sha256},
                         safety_backup=self._safety_entry(safety), **extra)
            raise
        finally:
            self._end()

    @staticmethod
    def _safety_entry(safety):
        """The journal entry of a safety backup (what makes it count as a backup), or None."""
        if safety is None:
            return None
        return {"path": safety.path, "sha256": safety.sha256, "verified": safety.verified}

    def _applied_now(self):
        try:
            with self.backend.read_only():
                return self._applied_names(MigrationLoader(self.connection).applied_migrations)
        except Exception:
            return None

    def _first_good_backup(self, records, *, exclude):
        for info in backups.known_backups(self.backend, records):
            if info.journaled and info.path != exclude and backups.verify_backup(self.backend, info) is None:
                return info
        return None

    def _safety_backup(self):
        applied = []
        if self.backend.exists() and not self.backend.quick_check():
            try:
                with self.backend.read_only():
                    applied = self._applied_names(MigrationLoader(self.connection).applied_migrations)
            except Exception:
                applied = []
            return backups.create_backup(self.backend, run_id=self.run_id, kind="safety", applied=applied,
                                         checksums=recorded_checksums(self.journal.records()),
                                         report=self.report)
        # The current database is damaged (or missing): keep its bytes as they are, unverified.
        return backups.byte_copy(self.backend, run_id=self.run_id)

    # --- prune ---------------------------------------------------------------------------
    def prune(self, *, keep):
        if keep is None or keep < 1:
            raise UsageError("--prune-backups needs --keep N with N at least 1 (the newest backup is never deleted).")
        records = self.read_journal()
        decision = self._prune_decision(records, keep=keep)
        kept, delete, reasons, left_alone = (decision[k] for k in ("kept", "delete", "reasons", "left_alone"))
        lines = self._prune_lines(decision, keep=keep)
        payload = {"kept": [b.path for b in kept], "reasons": reasons, "not_counted": left_alone}
        if not delete:
            extra = f" and {len(reasons)} beyond them (reasons above)" if reasons else ""
            return Outcome(state=f"Backups unchanged: kept {len(kept)} backup(s), the newest "
                                 f"{decision['newest']} verified{extra}; nothing to delete.",
                           payload={"deleted": [], **payload}, summary=lines)
        if self.interactive and not self.confirm(
            "\n".join(lines) + "\nDelete these backups?\n" + "\n".join(f"  {b.path}" for b in delete)
        ):
            raise Refused("Prune cancelled; no backup was deleted.", state="Database unchanged; backups unchanged.")
        self._begin("prune", maintenance=False)
        try:
            for info in delete:
                backups.delete_backup(info)
                self.report.note(f"Deleted {info.path}")
            record = self._record(mode="prune", outcome="applied", migrations=[],
                                  deleted=[b.path for b in delete], kept=[b.path for b in kept],
                                  kept_reasons=reasons, not_counted=left_alone)
        finally:
            self._end()
        extra = f" + {len(reasons)} beyond them" if reasons else ""
        return Outcome(state=f"Database unchanged; deleted {len(delete)} backup(s), kept {len(kept)} (the newest "
                             f"{decision['newest']} verified{extra}).",
                       payload={**record, "reasons": reasons}, summary=lines)

    def _prune_decision(self, records, *, keep):
        """Which backups prune keeps (and why, beyond the newest ``keep``), deletes, and leaves alone.

        Policy: the newest ``keep`` verified backups, plus the backup of the run --rollback would
        undo next (only that one: undoing older runs is a reversible migration, not a restore).
        Files safe_migrate did not write (or cannot vouch for) are never counted and never deleted."""
        found = backups.known_backups(self.backend, records)
        ours = [info for info in found if info.journaled and not info.untrusted]
        left_alone = {info.path: info.untrusted for info in found if info.untrusted}
        usable = [info for info in ours if info.verified and backups.verify_backup(self.backend, info) is None]
        newest = {info.path for info in usable[:keep]}
        candidate, _ = rollback_candidate(records, applied=None)
        entry = (candidate or {}).get("backup")
        next_rollback = os.path.abspath(entry["path"]) if isinstance(entry, dict) and entry.get("path") else None
        kept, delete, reasons = [], [], {}
        for info in ours:
            if info.path in newest:
                kept.append(info)
            elif info.path == next_rollback:
                kept.append(info)
                reasons[info.path] = (f"taken by run {candidate['id']}, the run `--rollback` would undo next "
                                      "(kept whatever N is)")
            elif not usable and info is ours[0]:
                kept.append(info)
                reasons[info.path] = "the newest backup (none verifies, so none is deleted for it)"
            else:
                delete.append(info)
        return {"kept": kept, "delete": delete, "reasons": reasons, "left_alone": left_alone,
                "newest": len(newest)}

    @staticmethod
    def _prune_lines(decision, *, keep):
        lines = [f"Keeping the newest {decision['newest']} verified backup(s) (--keep {keep}):"]
        lines += [f"  {info.path}" for info in decision["kept"] if info.path not in decision["reasons"]]
        for path, why in decision["reasons"].items():
            lines.append(f"Kept beyond the newest {keep}: {path} ({why})")
        for path, why in decision["left_alone"].items():
            lines.append(f"Not counted, left alone: {path} ({why})")
        return lines


class NothingToRollBack(SafeMigrateError):
    """Not an error: there is no run to undo (exit 0)."""

    exit_code = 0
