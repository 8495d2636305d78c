"""Drift: an applied migration file changed or missing, judged against the recorded checksums."""

import pytest
from django.db.migrations.loader import MigrationLoader

from orb.safemigrate import drift as drifts
from orb.safemigrate.errors import Refused

from .inprocess import scenario

APPLIED = {("scenario", "0001_initial"), ("scenario", "0002_reading_comment")}


def loader():
    return MigrationLoader(None, ignore_no_migrations=True)


def test_first_sight_records_the_checksums():
    with scenario("add_column"):
        drift = drifts.detect(loader(), applied=APPLIED, recorded={})
    assert sorted(drift.first_seen) == ["scenario.0001_initial", "scenario.0002_reading_comment"]
    assert set(drift.checksums) == set(drift.first_seen)
    drift.refuse_if_drifted()  # nothing changed: no refusal


def test_a_changed_file_of_the_project_is_refused():
    with scenario("add_column"):
        checksums = drifts.detect(loader(), applied=APPLIED, recorded={}).checksums
        recorded = {**checksums, "scenario.0002_reading_comment": "0" * 64}
        drift = drifts.detect(loader(), applied=APPLIED, recorded=recorded)
    assert [name for name, _ in drift.changed] == ["scenario.0002_reading_comment"]
    with pytest.raises(Refused, match="scenario.0002_reading_comment was edited since it was applied"):
        drift.refuse_if_drifted()


def test_a_missing_file_is_refused_and_an_uninstalled_app_warns():
    with scenario("base"):
        drift = drifts.detect(loader(), applied=APPLIED | {("gone", "0001_initial")}, recorded={})
    assert drift.missing == ["scenario.0002_reading_comment"]
    assert drift.warnings == ["gone.0001_initial is applied but its app is no longer installed."]
    with pytest.raises(Refused, match="has no file on disk"):
        drift.refuse_if_drifted()


def test_checksums_of_named_migrations():
    with scenario("add_column"):
        result = drifts.checksums_of(loader(), [("scenario", "0001_initial"), ("scenario", "0404_none")])
    assert list(result) == ["scenario.0001_initial"] and len(result["scenario.0001_initial"]) == 64
