"""Rehearsal: the same plan and checks on a scratch copy of the database.

The copy is made with the backend's online copy, the Django connection is pointed at
it, ``run_plan`` runs there exactly as it will on the real database (rolled back at
the end when the plan is atomic), and the copy is dropped, also after a failure.  The
real database is only read.
"""

import time

from .apply import run_plan
from .errors import DataLossRefused, MigrationFailed


def rehearse(*, backend, plan, allow_data_loss, report, undone_run_counts=None, verbosity=None, interactive=False):
    report.emit("heading", "Rehearsal on a copy of the database:")
    started = time.monotonic()
    target = backend.make_rehearsal_copy(report=report)
    try:
        with backend.pointed_at(target):
            result = run_plan(
                backend=backend,
                plan=plan,
                allow_data_loss=allow_data_loss,
                report=report,
                commit=False,
                undone_run_counts=undone_run_counts,
                verbosity=verbosity,
                interactive=interactive,
            )
    except DataLossRefused:
        raise
    except MigrationFailed as exc:
        raise MigrationFailed(
            f"The rehearsal on a copy failed, so the real database was not touched: {exc.message}",
            state="Database unchanged (the rehearsal failed on a copy).",
        ) from exc
    finally:
        backend.drop_rehearsal_copy(target)
    report.emit("heading", f"Rehearsal passed ({time.monotonic() - started:.2f}s).")
    return result
