"""Which run --rollback would undo, read from journal records alone."""

from orb.safemigrate.runs import rollback_candidate


def upgrade(run_id, *, after, before=(), direction="forwards", outcome="applied"):
    return {
        "id": run_id,
        "mode": "upgrade",
        "direction": direction,
        "outcome": outcome,
        "migrations": [m for m in after if m not in before],
        "applied_before": list(before),
        "applied_after": list(after),
    }


def test_nothing_applied_yet():
    candidate, reason = rollback_candidate([], applied=[])
    assert candidate is None and reason.startswith("Nothing to roll back: safe_migrate has not applied")


def test_the_newest_forwards_run_not_yet_rolled_back():
    records = [
        upgrade("a", after=["x.1"]),
        upgrade("b", before=["x.1"], after=["x.1", "x.2"]),
        upgrade("c", before=["x.1", "x.2"], after=["x.1", "x.2", "x.3"], outcome="failed"),
    ]
    candidate, reason = rollback_candidate(records, applied=["x.2", "x.1"])
    assert candidate["id"] == "b" and reason is None


def test_a_rolled_back_run_is_skipped_for_the_one_before():
    records = [
        upgrade("a", after=["x.1"]),
        upgrade("b", before=["x.1"], after=["x.1", "x.2"]),
        {"id": "r", "mode": "rollback", "outcome": "applied", "rolls_back": "b", "migrations": ["x.2"]},
    ]
    candidate, _ = rollback_candidate(records, applied=["x.1"])
    assert candidate["id"] == "a"


def test_every_run_rolled_back():
    records = [
        upgrade("a", after=["x.1"]),
        {"id": "r", "mode": "rollback", "outcome": "applied", "rolls_back": "a", "migrations": ["x.1"]},
    ]
    candidate, reason = rollback_candidate(records, applied=[])
    assert candidate is None and reason.startswith("Nothing to roll back: every run")


def test_after_a_restore_there_is_nothing_to_undo():
    records = [upgrade("a", after=["x.1"]), {"id": "s", "mode": "restore", "outcome": "applied", "migrations": []}]
    candidate, reason = rollback_candidate(records, applied=[])
    assert candidate is None and "restored from a backup (run s)" in reason


def test_a_backwards_run_is_not_rolled_back():
    records = [
        upgrade("a", after=["x.1", "x.2"]),
        upgrade("b", before=["x.1", "x.2"], after=["x.1"], direction="backwards"),
    ]
    candidate, reason = rollback_candidate(records, applied=["x.1"])
    assert candidate is None and "moved backwards" in reason


def test_a_database_no_longer_in_the_runs_after_state_is_refused_but_prune_skips_that_check():
    records = [upgrade("a", after=["x.1"])]
    candidate, reason = rollback_candidate(records, applied=["x.1", "x.9"])
    assert candidate is None and "no longer in the state run a left" in reason
    assert rollback_candidate(records, applied=None)[0]["id"] == "a"
