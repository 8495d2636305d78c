"""A check that reads a file in a second thread while the run goes on.

``PRAGMA quick_check`` and sha256 read every page of a file (about 2 s and 0.9 s per GB). An
applying run needs their verdict on its backup before it commits, not before it applies its plan
inside the transaction; so the checks start when the copy is written, in threads of their own
(SQLite and hashlib release the GIL while they read, and the machine has two cores), and the run
asks for the verdict where it used to wait for it. Each check is the same call over the same file.
"""

import threading
import time


class BackgroundCheck:
    """``check()`` (a callable: a list of problems, or any result) running in a daemon thread.

    The run's helpers that read side by side all use it: the backup's sha256 beside its check and
    both beside the plan (backup.PendingBackup), the foreign-key check beside quick_check after
    COMMIT (the SQLite backend)."""

    def __init__(self, check):
        self._problems = None
        self._error = None
        # A daemon thread: a run stopped by a signal does not wait for a read-only check to end.
        self._thread = threading.Thread(target=self._run, args=(check,), name="safe-migrate-check", daemon=True)
        self._thread.start()

    def _run(self, check):
        try:
            self._problems = check()
        except BaseException as exc:  # handed to the thread that asks for the verdict
            self._error = exc

    def verdict(self):
        """(result, seconds waited): blocks until the check has ended; re-raises its error (each
        time it is asked)."""
        started = time.monotonic()
        self._thread.join()
        waited = time.monotonic() - started
        if self._error is not None:
            raise self._error
        return self._problems, waited
