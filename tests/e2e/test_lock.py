"""One run at a time: a second run is refused naming the holder; a dead holder's lock is taken over."""
import os
import signal
import time

import pytest

from . import dbfacts
from .conftest import assert_clean

pytestmark = pytest.mark.e2e


def wait_for_line(process, text, timeout=60):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if text in line:
            return
    raise AssertionError(f"never saw {text!r}; output so far:\n{''.join(seen)}")


def test_second_run_is_refused_while_the_first_holds_the_lock(project):
    first = project.popen("safe_migrate", "--noinput", ORB_SCENARIO="slow", ORB_SCENARIO_SLEEP="8")
    try:
        wait_for_line(first, "Applying 1 migration")
        second = project.run("safe_migrate", "--noinput", scenario="slow")
        assert_clean(second, 3)
        assert f"pid {first.pid}" in second.stderr and "holds the lock" in second.stderr
        refused = project.journal()[-1]  # a run refused at the lock is journaled too
        assert refused["outcome"] == "refused" and "holds the lock" in refused["error"]
        # Read-only modes still work and say a run is in progress.
        status = project.run("safe_migrate", "--status", scenario="slow")
        assert_clean(status, 0)
        assert f"Run in progress: pid {first.pid}" in status.stdout
    finally:
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "scenario.0002_slow" in project.applied()
    assert not os.path.exists(project.db + ".safe_migrate.lock")


def test_lock_of_a_killed_run_is_taken_over(project):
    before, applied = project.hashes(), project.applied()
    victim = project.popen("safe_migrate", "--noinput", ORB_SCENARIO="slow", ORB_SCENARIO_SLEEP="60")
    wait_for_line(victim, "Applying 1 migration")
    time.sleep(0.5)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    # Killed inside the transaction: the database is entirely the old state.
    assert dbfacts.quick_check(project.db) == "ok"
    assert project.applied() == applied and project.hashes() == before
    assert os.path.exists(project.db + ".safe_migrate.lock")  # left behind by the dead run

    result = project.run("safe_migrate", "--noinput", scenario="slow", ORB_SCENARIO_SLEEP="0")
    assert_clean(result, 0)
    assert "Took over a lock left by a run that is gone" in result.stdout
    assert "scenario.0002_slow" in project.applied()
    outcomes = [(r["mode"], r["outcome"]) for r in project.journal()]
    assert ("upgrade", "interrupted") in outcomes and outcomes[-1] == ("upgrade", "applied")


def test_interrupting_a_step_by_step_run_restores_the_backup(project):
    """Ctrl-C after a non-atomic migration committed: the backup is put back, and the last line says so."""
    before, schema, applied = project.hashes(), dbfacts.schema(project.db), project.applied()
    run = project.popen("safe_migrate", "--noinput", ORB_SCENARIO="nonatomic_slow", ORB_SCENARIO_SLEEP="30")
    wait_for_line(run, "The real database:")
    wait_for_line(run, "scenario.0002_nonatomic")  # committed; 0003 is sleeping now
    time.sleep(1)
    assert "comment" in dbfacts.columns(project.db, "scenario_reading")
    os.kill(run.pid, signal.SIGINT)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 1, out + err
    assert "Traceback" not in out + err
    backup = project.journal()[-1]["backup"]["path"]
    assert err.strip().splitlines()[-1] == f"Database restored from {backup}."
    assert project.hashes() == before and dbfacts.schema(project.db) == schema
    assert project.applied() == applied
    assert project.journal()[-1]["outcome"] == "failed"
