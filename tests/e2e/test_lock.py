"""One run at a time: a second run is refused naming the holder; a dead holder's lock is taken over."""

import contextlib
import os
import signal
import subprocess
import time

import pytest

from . import dbfacts
from .conftest import Gate, assert_clean, finish

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


def test_second_run_is_refused_while_the_first_holds_the_lock(project, tmp_path):
    gate = Gate(tmp_path / "gate")
    first = project.popen("safe_migrate", "--noinput", ORB_SCENARIO="slow", **gate.env())
    try:
        gate.wait_reached(first)  # inside the first run's migration: it holds the lock
        second = project.run("safe_migrate", "--noinput", scenario="slow")
        assert_clean(second, 3)
        assert f"pid {first.pid}" in second.stderr and "holds the lock" in second.stderr
        refused = project.journal()[-1]  # a run refused at the lock is journaled too
        assert refused["outcome"] == "refused" and "holds the lock" in refused["error"]
        # Read-only modes still work and say a run is in progress.
        status = project.run("safe_migrate", "--status", scenario="slow")
        assert_clean(status, 0)
        assert f"Run in progress: pid {first.pid}" in status.stdout
        assert first.poll() is None, "the first run ended while the lock was being checked"
    finally:
        gate.release()
        out, err = finish(first)
    assert first.returncode == 0, err
    assert "scenario.0002_slow" in project.applied()
    assert not os.path.exists(project.db + ".safe_migrate.lock")


def test_lock_of_a_killed_run_is_taken_over(project, tmp_path):
    before, applied = project.hashes(), project.applied()
    gate = Gate(tmp_path / "gate")
    victim = project.popen("safe_migrate", "--noinput", ORB_SCENARIO="slow", **gate.env())
    try:
        gate.wait_reached(victim)  # never released: killed inside the apply transaction
    finally:
        os.killpg(victim.pid, signal.SIGKILL)
        victim.communicate(timeout=30)
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


def start_step_by_step_run(project, gate):
    """A non-atomic plan held at the gate in 0003, after 0002 committed on the real database."""
    run = project.popen("safe_migrate", "--noinput", ORB_SCENARIO="nonatomic_slow", **gate.env())
    gate.wait_reached(run)
    return run


def interrupt_and_check_restored(project, run, gate, *, before, schema, applied):
    try:
        # 0002 committed on the real database; 0003 waits at the gate.
        assert "comment" in dbfacts.columns(project.db, "scenario_reading")
        assert "scenario.0002_nonatomic" in project.applied()
        os.kill(run.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            run.wait(timeout=60)  # the run ends on the SIGINT alone: the gate is still closed
    finally:
        gate.release()  # if the SIGINT was lost, let the run finish (and the test fail on its exit)
    out, err = finish(run)
    assert run.returncode == 1, f"exit {run.returncode}: the SIGINT did not interrupt the run\n{out}{err}"
    assert "Traceback" not in out + err
    backup = project.journal()[-1]["backup"]["path"]
    assert err.strip().splitlines()[-1] == f"Database restored from {backup}."
    assert project.hashes() == before and dbfacts.schema(project.db) == schema
    assert project.applied() == applied
    assert project.journal()[-1]["outcome"] == "failed"


def test_interrupting_a_step_by_step_run_restores_the_backup(project, tmp_path):
    """Ctrl-C after a non-atomic migration committed: the backup is put back, and the last line says so."""
    before, schema, applied = project.hashes(), dbfacts.schema(project.db), project.applied()
    gate = Gate(tmp_path / "gate")
    run = start_step_by_step_run(project, gate)
    interrupt_and_check_restored(project, run, gate, before=before, schema=schema, applied=applied)


def test_interrupt_reaches_a_run_started_while_sigint_is_ignored(project, tmp_path):
    """A background job (or a CI runner) starts the suite with SIGINT ignored, and an ignored
    signal is inherited: the child that a test interrupts must still get SIGINT's default action."""
    before, schema, applied = project.hashes(), dbfacts.schema(project.db), project.applied()
    gate = Gate(tmp_path / "gate")
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        run = project.popen("safe_migrate", "--noinput", ORB_SCENARIO="nonatomic_slow", **gate.env())
    finally:
        signal.signal(signal.SIGINT, previous)
    gate.wait_reached(run)
    interrupt_and_check_restored(project, run, gate, before=before, schema=schema, applied=applied)
