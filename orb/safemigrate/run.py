"""One run of an applying mode: its id, lock, timings, backup, and the one journal record it writes.

A ``Run`` is created when a mode has understood its arguments.  From then on every way out
writes exactly one record: ``record()`` for the outcome the mode reached, or, when the mode
raises, a ``refused``/``failed`` record written by ``journaled()`` (usage errors are not runs
and are never journaled).  ``record()`` returns the record it wrote, so nothing is read back
from the journal (which would return the previous run's record when the append failed).
"""

import os
import time
from contextlib import contextmanager

from . import backup as backups
from .errors import SafeMigrateError, UsageError
from .journal import new_run_id, now_iso, who


class Run:
    def __init__(self, *, mode, backend, journal, report):
        self.id = new_run_id()
        self.started_at = now_iso()
        self.mode = mode
        self.backend = backend
        self.journal = journal
        self.report = report
        self.lock = None
        self.timings = {}
        # What the run knows so far, for the record written if it stops early.
        self.plan = None
        self.backup = None  # the BackupInfo this run took (or, for a restore, restores from)
        self.pending_backup = None  # a backup.PendingBackup written but not kept yet
        # The live database's integrity verdict is still due (the backup's read-back gives it).
        self.database_verdict_due = False
        self.applied_before = []
        self.extra = {}  # mode-specific fields of every record of this run
        # The database's state in plain words if the run stops from here on (set once a commit happened).
        self.committed_state = None
        self.interrupted_state = None  # what an unexpected stop left, for the command's last line

    # --- the lock ---------------------------------------------------------------------
    def take_lock(self, *, maintenance):
        """Directories writable, then the lock (+ maintenance); a dead run's lock is taken over
        and that run journaled as interrupted; then the leftovers of dead runs are removed."""
        self.backend.check_writable()
        self.lock = self.backend.run_lock()
        stale = self.lock.acquire(mode=self.mode, maintenance=maintenance, run_id=self.id)
        if stale is not None:
            self._record_interrupted(stale)
        self.backend.cleanup_leftovers(report=self.report)
        backups.remove_leftovers(self.backend, report=self.report)

    def _record_interrupted(self, stale):
        self.report.warning(
            f"Took over a lock left by a run that is gone ({stale.describe()}); "
            "that run was interrupted, and the database is checked before anything else."
        )
        self.journal.append(
            {
                "id": stale.run_id or f"unknown-{stale.pid}",
                "started_at": stale.started_at,
                "finished_at": now_iso(),
                "mode": stale.mode,
                "outcome": "interrupted",
                "note": f"recorded by run {self.id}, which found its lock (pid {stale.pid}) stale",
                "database": self.backend.label,
                # A backup the dead run finished but never journaled counts once recorded here.
                **backups.adopt_interrupted(self.backend, stale.run_id),
            }
        )

    def release(self):
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    # --- timings ----------------------------------------------------------------------
    def stage(self, name, message):
        """A reported stage whose duration is kept in ``timings[name]``."""
        return self.report.timed(message, timings=self.timings, key=name)

    @contextmanager
    def timed(self, name):
        """A step timed without a stage line of its own (its parts report themselves)."""
        started = time.monotonic()
        yield
        self.timings[name] = round(time.monotonic() - started, 4)

    # --- the journal ------------------------------------------------------------------
    def backup_entry(self):
        return {"path": self.backup.path, "sha256": self.backup.sha256} if self.backup else None

    def record(self, **fields):
        """Append this run's record (a failed append is a warning) and return it."""
        record = {
            "id": self.id,
            "started_at": self.started_at,
            "finished_at": now_iso(),
            "user": who(),
            "pid": os.getpid(),
            "engine": self.backend.engine,
            "database": self.backend.label,
            "timings": self.timings,
            "warnings": self.report.warnings,
            "mode": self.mode,
            **self.extra,
        }
        record.update(fields)
        try:
            self.journal.append(record)
        except OSError as exc:
            self.report.warning(f"Could not write the journal {self.journal.path} ({exc.strerror}).")
        return record

    def record_stop(self, *, outcome, error, state):
        """The record of a run that was refused or failed, with what it knew when it stopped."""
        return self.record(
            direction=self.plan.direction if self.plan else None,
            outcome=outcome,
            migrations=self.plan.names if self.plan else [],
            error=error,
            backup=self.backup_entry(),
            applied_before=self.applied_before,
            state=state,
        )

    @contextmanager
    def journaled(self, *, state_if_stopped=None, state_if_unexpected=None):
        """Every way out of the block writes one record, and the lock is released.

        ``state_if_stopped`` is the database's state whatever stops the run (a dry run's);
        ``state_if_unexpected(run)`` says it for an error nobody foresaw (or Ctrl-C).  Once a
        commit happened, ``committed_state`` says it instead of either."""
        try:
            yield self
        except UsageError:
            raise
        except SafeMigrateError as exc:
            self.keep_unkept_backup()
            if self.committed_state or state_if_stopped:
                exc.state = self.committed_state or state_if_stopped
            self.record_stop(outcome="refused" if exc.exit_code == 3 else "failed", error=exc.message, state=exc.state)
            raise
        except BaseException as exc:  # an unexpected error or Ctrl-C: still one record, the true state
            self.keep_unkept_backup()
            self.interrupted_state = (
                self.committed_state or state_if_stopped or (state_if_unexpected(self) if state_if_unexpected else None)
            )
            self.record_stop(outcome="failed", error=f"{exc.__class__.__name__}: {exc}", state=self.interrupted_state)
            raise
        finally:
            self.discard_unkept_backup()
            self.release()

    def keep_unkept_backup(self):
        """A run that stops keeps the backup it took, as it always did: a copy whose read-back had
        not been asked for yet is kept if it verifies; one that does not is removed, with a warning."""
        pending, self.pending_backup = self.pending_backup, None
        if pending is None:
            return
        try:
            self.backup = pending.keep()
        except BaseException as exc:  # also a second Ctrl-C while it waits: the run's own stop goes on
            message = getattr(exc, "message", None) or f"The backup was not kept ({exc.__class__.__name__})."
            self.report.warning(message)

    def discard_unkept_backup(self):
        """A backup copy the run wrote but did not keep (it stopped first) is removed, under the lock."""
        pending, self.pending_backup = self.pending_backup, None
        if pending is not None:
            pending.discard()
