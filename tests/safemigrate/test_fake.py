"""orb.safemigrate.fake: what --fake and --fake-initial ask, refuse and say; their usage errors.

The runs themselves (lock, backup, django_migrations, journal) are tested end to end in
tests/e2e/test_migrate_options*.py."""

from types import SimpleNamespace

import pytest

from orb.safemigrate.errors import EXIT_REFUSED, Refused
from orb.safemigrate.fake import Fake, require_confirmed_plan

from .inprocess import run

UNREADABLE = (
    "scenario.Reading cannot be read from scenario_reading (OperationalError: no such column: scenario_reading.comment)"
)


def plan(*names, direction="forwards"):
    return SimpleNamespace(names=list(names), steps=list(names), direction=direction)


def test_a_mismatch_is_refused_naming_the_table_and_column():
    with pytest.raises(Refused) as caught:
        Fake(marks_all=True).refuse_mismatch([UNREADABLE, "another"], marked=["scenario.0002_reading_comment"])
    exc = caught.value
    assert exc.exit_code == EXIT_REFUSED
    assert exc.message.startswith(
        "Marking scenario.0002_reading_comment without running it would leave the schema unlike the models: "
        + UNREADABLE
        + " (and 1 more); nothing was marked."
    )
    assert "safe_migrate without --fake" in exc.message and "--allow-mismatch" in exc.message
    assert exc.state == "Database unchanged (the transaction was rolled back)."
    assert exc.details == {"mismatches": [UNREADABLE, "another"]}


def test_fake_initial_names_its_own_flag():
    with pytest.raises(Refused, match="safe_migrate without --fake-initial"):
        Fake(marks_all=False).refuse_mismatch([UNREADABLE], marked=["a.0001_initial", "b.0001_initial"])


@pytest.mark.parametrize("problems,allowed", [([], False), ([UNREADABLE], True)])
def test_no_mismatch_or_an_allowed_one_goes_on(problems, allowed):
    Fake(marks_all=True, allow_mismatch=allowed).refuse_mismatch(problems, marked=["a.0002_x"])


def test_the_question_lists_the_migrations_and_says_what_marking_means():
    question = Fake(marks_all=True).question(plan("a.0002_x", "a.0003_y", direction="backwards"), "/srv/orb.db")
    assert question.startswith(
        "Mark these migrations unapplied in /srv/orb.db WITHOUT running them:\n  a.0002_x\n  a.0003_y\n"
    )
    assert "--rollback will not undo this" in question


def test_state_lines():
    faked = SimpleNamespace(faked=["a.0002_x"], mismatches=[])
    assert (
        Fake(marks_all=True).state_line(plan("a.0002_x"), faked, "/b")
        == "Database marked: 1 migration(s) recorded applied without running them; backup /b"
    )
    mixed = SimpleNamespace(faked=["a.0001_initial"], mismatches=[UNREADABLE])
    assert Fake(marks_all=False).state_line(plan("a.0001_initial", "a.0002_x"), mixed, "/b") == (
        "Database upgraded: 2 migration(s), 1 marked applied without running (tables already there), 1 run; "
        "1 model(s) unlike the schema (allowed by --allow-mismatch); backup /b"
    )


def test_the_plan_under_the_lock_must_be_the_one_confirmed():
    require_confirmed_plan(plan("a.0002_x"), None)  # not asked (--noinput)
    require_confirmed_plan(plan("a.0002_x"), ["a.0002_x"])
    with pytest.raises(Refused, match="changed after you confirmed"):
        require_confirmed_plan(plan("a.0002_x", "a.0003_y"), ["a.0002_x"])


@pytest.mark.parametrize(
    "args,message",
    [
        (["--allow-mismatch"], "--allow-mismatch only goes with --fake or --fake-initial."),
        (["--fake", "--fake-initial"], "Choose one mode at a time, not --fake and --fake-initial."),
        (["--fake", "--allow-data-loss"], "--allow-data-loss only applies"),
        (["--run-syncdb"], "--run-syncdb is not supported: apps without migrations are not supported"),
        (["--fake", "--run-syncdb"], "--run-syncdb is not supported"),
    ],
)
def test_usage_errors_exit_2(db, args, message):
    result = run(*args, "--noinput")
    assert result.code == 2 and message in result.stderr
