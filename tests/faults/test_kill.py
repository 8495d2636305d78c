"""1. Kill at any moment: SIGKILL the whole process group at seeded moments of a table rebuild.

One undisturbed run on a copy of the big database is timed; the kill moments are spread
over that duration (one per equal slice, at a seeded random point in it), so they land in
every stage (lock, checks, backup, apply, checks inside the transaction, commit, verify,
journal) whatever the machine's speed.  After each kill: ``PRAGMA integrity_check`` is
ok, schema and ``django_migrations`` are entirely the old or entirely the new state,
every row of every table is there (hashes), and the next run takes over the lock and
completes, leaving no partial backup, no backup without its sidecar, no rehearsal copy.

Replay a failure with ORB_FAULTS_SEED=<the printed seed> (and the same ORB_FAULTS_KILL_MB).
"""

import json
import os
import random
import signal
import time

import pytest

from .helpers import (
    BIG_SCENARIO,
    all_hashes,
    assert_clean,
    assert_exit,
    copy_project,
    env_int,
    integrity,
    leftovers,
    state_of,
)

pytestmark = pytest.mark.faults


def stage_reached(output):
    """The last stage named in the killed run's output (for the report of each kill)."""
    stage = "starting"
    for line in output.splitlines():
        line = line.strip()
        if line.endswith("...") or "..." in line:
            stage = line.split("...")[0].strip() or stage
    return stage


def test_kill_at_seeded_moments_never_loses_data(kill_template, tmp_path):
    seed = int(os.environ.get("ORB_FAULTS_SEED") or random.SystemRandom().randrange(1, 10**9))
    kills = env_int("ORB_FAULTS_KILLS", 8)
    print(f"\nkill test seed: ORB_FAULTS_SEED={seed} (kills={kills})")
    rng = random.Random(seed)

    old_schema, old_applied = state_of(kill_template)
    rows_before = all_hashes(kill_template)

    # One undisturbed run: the new state and how long a run takes here, now.
    reference = copy_project(kill_template, tmp_path / "reference")
    started = time.monotonic()
    result = reference.run("safe_migrate", "--noinput")
    duration = time.monotonic() - started
    assert_clean(result, 0)
    new_schema, new_applied = state_of(reference.db)
    assert (new_schema, new_applied) != (old_schema, old_applied)
    assert all_hashes(reference.db) == rows_before
    print(f"undisturbed run: {duration:.2f}s")

    # One moment in each of ``kills`` equal slices of the run, seeded.
    moments = [duration * (i + rng.random()) / kills for i in range(kills)]
    report = []
    for number, moment in enumerate(moments):
        where = tmp_path / f"kill-{number}"
        victim_project = copy_project(kill_template, where)
        victim = victim_project.popen("safe_migrate", "--noinput", PYTHONUNBUFFERED="1", ORB_SCENARIO=BIG_SCENARIO)
        launched = time.monotonic()
        time.sleep(max(0.0, moment - (time.monotonic() - launched)))
        finished_before_kill = victim.poll() is not None
        if not finished_before_kill:
            os.killpg(victim.pid, signal.SIGKILL)
        out, err = victim.communicate(timeout=60)
        stage = "finished before the kill" if finished_before_kill else stage_reached(out)
        context = f"kill {number} at {moment:.2f}s of {duration:.2f}s (seed {seed}), during: {stage}"
        report.append(context)

        db = victim_project.db
        assert integrity(db) == ["ok"], context
        state = state_of(db)
        assert state in ((old_schema, old_applied), (new_schema, new_applied)), (
            f"{context}: the database is neither entirely the old nor entirely the new state"
        )
        assert all_hashes(db) == rows_before, f"{context}: rows changed"

        # The next run takes over the lock (if one was left) and completes.
        lock = db + ".safe_migrate.lock"
        holder_left = os.path.exists(lock) and os.path.getsize(lock) > 0
        again = victim_project.run("safe_migrate", "--noinput", PYTHONUNBUFFERED="1")
        assert_clean(again, 0)
        if holder_left:
            assert "Took over a lock left by a run that is gone" in again.stdout, context
            assert ("upgrade", "interrupted") in [(r["mode"], r["outcome"]) for r in victim_project.journal()]
        assert not os.path.exists(db + ".safe_migrate.lock"), context
        assert integrity(db) == ["ok"], context
        assert state_of(db) == (new_schema, new_applied), context
        assert all_hashes(db) == rows_before, f"{context}: rows changed after the next run"
        assert leftovers(where) == [], f"{context}: left behind {leftovers(where)}"
        listing = victim_project.run("safe_migrate", "--list-backups", "--json")
        assert_exit(listing, 0)
        for backup in json.loads(listing.stdout):
            assert backup.get("problem") is None, f"{context}: listed a backup with a problem: {backup}"
        print(context, "-> ok")
        # Keep the disk small: the 200 MB copies are not needed any more.
        for name in os.listdir(where):
            os.unlink(where / name)
    print("\n".join(report))
