"""orb.safemigrate.background: the integrity check that runs beside an applying run."""

import threading

import pytest

from orb.safemigrate.background import BackgroundCheck


def test_the_verdict_is_the_check_s_problems_and_waits_for_its_end():
    release = threading.Event()

    def check():
        release.wait(timeout=30)
        return ["page 7: btree damaged"]

    pending = BackgroundCheck(check)
    threading.Timer(0.05, release.set).start()
    problems, waited = pending.verdict()
    assert problems == ["page 7: btree damaged"] and waited > 0


def test_an_error_of_the_check_is_raised_by_the_verdict():
    def check():
        raise OSError("disk I/O error")

    with pytest.raises(OSError, match="disk I/O error"):
        BackgroundCheck(check).verdict()


def test_the_check_runs_in_another_thread():
    seen = []
    BackgroundCheck(lambda: seen.append(threading.current_thread().name) or []).verdict()
    assert seen and seen[0] != threading.current_thread().name
