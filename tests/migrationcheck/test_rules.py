"""Each rule fires on its scenario migration package and stays quiet where it should
(``check_migrations --no-round-trip``: the rules read from the files, no database)."""

import pytest

from .conftest import found

pytestmark = pytest.mark.e2e


def test_a_clean_package_has_no_finding(checks):
    code, document = checks.check("clean", "--no-round-trip", code=0)
    assert document["findings"] == [] and document["migrations"] == 3
    assert document["summary"].startswith("Migrations OK")
    assert not checks.db.exists()  # the configured database is never opened, let alone created


def test_orb101_irreversible_operations(checks):
    _, document = checks.check("irreversible", "--no-round-trip", code=1)
    assert found(document) == [("ORB101", "scenario.0002_fill_note")] * 2
    details = sorted(item["detail"] for item in document["findings"])
    assert details == ["RunPython without reverse_code cannot be undone", "RunSQL without reverse_sql cannot be undone"]


def test_orb101_quiet_when_the_migration_says_why(checks):
    _, document = checks.check("irreversible_documented", "--no-round-trip", code=0)
    assert found(document) == []
    [finding] = document["findings"]
    assert finding["rule"] == "ORB101" and finding["acknowledged"].startswith("an empty note and no note")


def test_orb102_data_dropped(checks):
    _, document = checks.check("dropped", "--no-round-trip", code=1)
    assert found(document) == [
        ("ORB102", "scenario.0002_drop"),
        ("ORB102", "scenario.0002_drop"),
        ("ORB102", "scenario.0003_delete_model"),
    ]
    details = " | ".join(item["detail"] for item in document["findings"])
    assert "drops the column scenario_reading.note" in details
    assert "max_length shrinks from 50 to 20" in details
    assert "drops the table scenario_retired" in details


def test_orb103_not_null_without_default(checks):
    _, document = checks.check("not_null", "--no-round-trip", code=1)
    details = sorted(item["detail"] for item in document["findings"])
    assert details == [
        "adds the NOT NULL column scenario_reading.count with no default",
        "makes scenario_reading.note NOT NULL with no default for the NULLs it holds",
    ]  # not the blank text field (filled with "") nor the one with a default


def test_orb104_rebuild_of_a_large_table_with_the_estimate(checks):
    checks.check_file.write_text("[large_tables]\nscenario_reading = 500\n")
    _, document = checks.check("large_rebuild", "--no-round-trip", code=1)
    [finding] = document["findings"]
    assert finding["rule"] == "ORB104" and finding["operation"] == "Alter field name on reading"
    assert "500.0 MB" in finding["detail"] and "1.5 GB of free disk (3 x the table)" in finding["detail"]
    assert "takes about 12 s" in finding["detail"]


def test_orb104_quiet_for_a_table_not_known_to_be_large(checks):
    checks.check("large_rebuild", "--no-round-trip", code=0)


def test_orb105_atomic_false(checks):
    _, document = checks.check("nonatomic", "--no-round-trip", code=1)
    assert found(document) == [("ORB105", "scenario.0002_nonatomic")]


def test_orb106_runpython_with_the_current_models(checks):
    _, document = checks.check("current_models", "--no-round-trip", code=1)
    details = sorted(item["detail"] for item in document["findings"])
    assert details == [
        "count_tanks() uses the current models: Tank (soundings.models)",
        "count_tickets() uses the current models: from fueltickets.models import DailyFuelTicket",
    ]  # fine() uses apps.get_model


def test_orb107_sql_that_writes_a_protected_table(checks):
    _, document = checks.check("protected", "--no-round-trip", code=1)
    [finding] = document["findings"]
    assert finding["rule"] == "ORB107" and "soundings_orbentry" in finding["detail"]  # the SELECT is quiet


def test_acknowledged_per_migration_with_a_reason_and_malformed_ones_are_findings(checks):
    _, document = checks.check("acknowledged", "--no-round-trip", code=1)
    assert found(document) == [
        ("ORB100", "scenario.0003_drop_value"),
        ("ORB100", "scenario.0003_drop_value"),
        ("ORB102", "scenario.0003_drop_value"),
    ]
    acknowledged = [item for item in document["findings"] if item["acknowledged"]]
    assert [(a["rule"], a["migration"]) for a in acknowledged] == [("ORB102", "scenario.0002_drop_note")]


def test_acknowledged_in_the_check_file_for_one_migration_only(checks):
    checks.check_file.write_text(
        '[acknowledged."scenario.0002_drop"]\nORB102 = "the note and the retired table were never filled"\n'
    )
    _, document = checks.check("dropped", "--no-round-trip", code=1)
    assert found(document) == [("ORB102", "scenario.0003_delete_model")]
    assert len(found(document, open_only=False)) == 3


def test_the_check_file_cannot_acknowledge_a_migration_that_does_not_exist(checks):
    checks.check_file.write_text('[acknowledged."scenario.0099_nothing"]\nORB102 = "reason"\n')
    _, document = checks.check("clean", "--no-round-trip", code=1)
    assert found(document) == [("ORB100", "scenario.0099_nothing")]
