"""The import guarded like a migration, with safe_migrate's own machinery (orb.safemigrate):

directories writable -> safe_migrate's lock (maintenance on: the web app answers 503; a dry run
holds the lock without it) -> the database's integrity check and its migrations up to date ->
what this database already holds (the same file: nothing to add; another file: refused without
--append; a book with entries made here: refused) -> disk -> a verified backup, journaled like
safe_migrate's (``--list-backups``/``--restore`` see it) -> the import in ONE transaction, with
the checks before COMMIT (rows per table match the report, integrity, foreign keys, the hash
chain) -> COMMIT (a dry run does all of it on safe_migrate's rehearsal copy of the database and rolls
back; it takes no backup, since nothing is committed) ->
integrity and foreign keys on the committed database (restored from the backup if they fail)
-> one journal record, mode "import" (``safe_migrate --history``).
"""

from django.db import transaction
from django.db.migrations.executor import MigrationExecutor

from orb.safemigrate import backup as backups
from orb.safemigrate import checks
from orb.safemigrate.drift import key_name
from orb.safemigrate.engine import Engine
from orb.safemigrate.errors import MigrationFailed, Refused
from orb.safemigrate.journal import recorded_checksums, who
from orb.safemigrate.outcome import Outcome

from . import book, importer, provenance
from .report import ImportReport

MODE = "import"
DRY_RUN_STATE = "Database unchanged (dry run: the import was rolled back)."
ROLLED_BACK = "Database unchanged (the transaction was rolled back)."


class GuardedImport:
    """One ``import_flask_orb`` run of ``old`` (an oldfile.OldFile) into ``connection``'s database."""

    def __init__(self, *, connection, old, backup_dir=None, progress=None):
        self.connection = connection
        self.old = old
        self.engine = Engine(connection=connection, backup_dir=backup_dir, progress=progress, interactive=False)
        self.backend, self.journal, self.report = self.engine.backend, self.engine.journal, self.engine.report
        self.run = None

    def execute(self, *, dry_run, append):
        run = self.run = self.engine.new_run(MODE)
        run.extra = {"source": self.old.path, "source_sha256": self.old.sha256, "dry_run": dry_run}
        with run.journaled(
            state_if_stopped=DRY_RUN_STATE if dry_run else None, state_if_unexpected=lambda r: ROLLED_BACK
        ):
            run.take_lock(maintenance=not dry_run)
            self._check_database(run)
            earlier = provenance.earlier_run_of(self.old.sha256)
            if earlier is not None:
                return self._already_imported(run, earlier)
            self._refuse_what_cannot_go(append=append)
            if dry_run:
                return self._done(run, self._rehearse(run, append=append), dry_run=True)
            self._back_up(run)
            job = self._import(run, dry_run=False, append=append)
            self.engine.verify_committed(run)
            return self._done(run, job, dry_run=False)

    # --- before the transaction ------------------------------------------------------------
    def _check_database(self, run):
        if not self.backend.exists():
            raise Refused(f"There is no database {self.backend.label} yet; run `manage.py safe_migrate` first.")
        self.engine.check_database(run)
        executor = MigrationExecutor(self.connection)
        run.applied_before = sorted(key_name(k) for k in executor.loader.applied_migrations)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise Refused("The database has pending migrations; run `manage.py safe_migrate` first, then the import.")

    def _refuse_what_cannot_go(self, *, append):
        others = provenance.other_runs(self.old.sha256)
        if others and not append:
            first = others[0]
            raise Refused(
                f"This database already holds an import of another file ({first.source_path}, sha256 "
                f"{first.source_sha256[:12]}…, on {first.imported_at:%Y-%m-%d}); to add this file too, run "
                "again with --append --noinput."
            )
        why = book.refusal(self.old)
        if why:
            raise Refused(why[0].upper() + why[1:] + ". Nothing was changed.")

    def _back_up(self, run):
        with run.stage("disk", "Checking free disk space"):
            self.backend.check_space(rewritten_tables=[], rehearse=False)
        with run.stage("backup", "Backing up the database"):
            run.backup = backups.create_backup(
                self.backend,
                run_id=run.id,
                kind="pre-import",
                applied=run.applied_before,
                checksums=recorded_checksums(self.journal.read_reporting(self.report)),
                report=self.report,
            )
        self.report.note(f"Backup: {run.backup.path} (sha256 {run.backup.sha256[:12]}…)")

    def _rehearse(self, run, *, append):
        """A dry run: the whole import and its checks on safe_migrate's rehearsal copy of the
        database, rolled back, and the copy dropped (also after a failure). The real database is
        only read, so the web app keeps writing to it meanwhile."""
        with run.stage("disk", "Checking free disk space"):
            self.backend.check_space(rewritten_tables=[], rehearse=True, backup=False)
        self.report.emit("heading", "Rehearsal on a copy of the database:")
        target = self.backend.make_rehearsal_copy(report=self.report)
        try:
            with self.backend.pointed_at(target):
                return self._import(run, dry_run=True, append=append)
        finally:
            self.backend.drop_rehearsal_copy(target)

    # --- the transaction ---------------------------------------------------------------------
    def _import(self, run, *, dry_run, append):
        old = self.old
        job = importer.Job(
            old=old,
            report=ImportReport(path=old.path, sha256=old.sha256, age=old.age, revision=old.revision),
            earlier=provenance.Earlier(appending=append),
            progress=lambda table, done, total: self.report.percent(done, total, label=table),
        )
        alias = self.connection.alias
        try:
            with transaction.atomic(using=alias):
                before = importer.count_rows()
                with run.stage("import", f"Importing {old.path}"):
                    importer.run_import(job)
                with run.stage("checks", "Checking counts, integrity, foreign keys and the book before COMMIT"):
                    saved = provenance.save_run(
                        old=old, report=job.report, journal_run=run.id, appended=append, user=who()
                    )
                    provenance.save_rows(saved, job.results)
                    importer.check(job, rows_before=before, run=saved, connection=self.connection)
                    checks.integrity(self.backend)
                    checks.foreign_keys(self.backend)
                if dry_run:
                    transaction.set_rollback(True, using=alias)
        except importer.Refusal as exc:
            raise Refused(f"{str(exc)[0].upper()}{str(exc)[1:]}. Nothing was changed.") from exc
        except (importer.CheckFailed, checks.CheckFailed) as exc:
            raise MigrationFailed(f"The import was rolled back: {_sentence(exc)}.", state=ROLLED_BACK) from exc
        if not dry_run:
            run.committed_state = (
                f"Database changed: the import of {old.path} was committed, but the run stopped before it "
                f"finished; see `safe_migrate --history` (backup {run.backup.path})."
            )
        return job

    def _done(self, run, job, *, dry_run):
        report = job.report
        totals = report.totals()
        counts = {name: {k: v for k, v in t.items() if k != "reasons"} for name, t in report.counts.items()}
        record = run.record(
            outcome="rehearsed" if dry_run else "applied",
            migrations=[],
            backup=run.backup_entry(),
            tables=counts,
            rows_written=dict(report.made),
        )
        kept = totals["imported"] + totals["flagged"]
        what = f"{kept} of {totals['read']} rows ({totals['flagged']} flagged for review, {totals['skipped']} skipped)"
        if dry_run:
            state = f"Database unchanged (dry run): {what} would be imported from {self.old.path}."
        else:
            state = f"Database changed: imported {what} from {self.old.path}; backup {run.backup.path}."
        return Outcome(state=state, payload={**record, "report": report.as_dict()}, summary=report.lines())

    def _already_imported(self, run, earlier):
        record = run.record(outcome="nothing-to-do", migrations=[], note="this file was imported before")
        state = (
            f"Database unchanged: this file (sha256 {self.old.sha256[:12]}…) was already imported on "
            f"{earlier.imported_at:%Y-%m-%d %H:%M} (run {earlier.journal_run or earlier.pk}); nothing added."
        )
        return Outcome(state=state, payload={**record, "already_imported": earlier.journal_run})


def _sentence(exc):
    return str(getattr(exc, "message", None) or exc).rstrip(".")
