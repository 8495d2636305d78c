"""The round trip on scratch databases with rows in every table (ORB109, ORB110), the clean
package passing it, and the configured database never touched."""

import os
import uuid

import psycopg
import pytest

from .conftest import found

pytestmark = pytest.mark.e2e
SERVER = os.environ.get("ORB_TEST_PG", "postgres://postgres@127.0.0.1:5432")


def test_a_clean_package_goes_backwards_and_forwards(checks):
    _, document = checks.check("clean", code=0)
    [trip] = document["round_trips"]
    assert trip["migrations"] == 3 and trip["stopped"] is None and trip["notes"] == []
    # every migration of the plan applied once, then the three of the scenario down, up, down
    assert trip["steps"] >= 3 * 3 + 3
    assert not checks.db.exists()  # the configured database was never created
    assert list(checks.tmp.iterdir()) == []  # the scratch file and its folder are gone


def test_orb109_a_backwards_step_that_leaves_the_schema_changed(checks):
    _, document = checks.check("schema_differs", code=1)
    findings = {item["rule"]: item for item in document["findings"]}
    assert findings["ORB109"]["migration"] == "scenario.0002_index_left_behind"
    assert findings["ORB109"]["operation"].startswith("backwards")
    assert "scenario_reading_value_idx" in findings["ORB109"]["detail"]
    # applying it again then fails on the index the backwards step left behind
    assert "already exists" in findings["ORB110"]["detail"]


def test_orb110_a_step_that_fails_when_the_tables_hold_rows(checks):
    _, document = checks.check("fails_with_rows", code=1)
    assert found(document) == [("ORB110", "scenario.0002_unique_name")]
    [finding] = document["findings"]
    assert finding["operation"].startswith("backwards") and "readings exist" in finding["detail"]
    assert document["round_trips"][0]["stopped"] == "scenario.0002_unique_name failed"


def test_the_walk_stops_at_a_migration_that_cannot_be_undone(checks):
    _, document = checks.check("irreversible_documented", code=0)
    [trip] = document["round_trips"]
    assert trip["migrations"] == 0 and "0002_fill_note cannot be undone" in trip["stopped"]


def scratch_databases(target):
    """``target`` and the scratch databases a check of it made (``<target>_orbcheck_<pid>``)."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (target,)).fetchall()
    return [name for (name,) in rows]


@pytest.mark.postgres
def test_postgresql_is_checked_too_when_configured(checks):
    target = f"orb_check_{uuid.uuid4().hex[:8]}"  # never created: only its scratch sibling is
    _, document = checks.check("schema_differs", code=1, DATABASE_URL=f"{SERVER}/{target}")
    engines = [trip["engine"] for trip in document["round_trips"]]
    assert len(engines) == 2 and engines[1].startswith("PostgreSQL")
    differ = [item["operation"] for item in document["findings"] if item["rule"] == "ORB109"]
    assert any("PostgreSQL" in where for where in differ) and any("embedded" in where for where in differ)
    assert scratch_databases(target) == []  # the scratch database was dropped, the target never made


def test_an_unreachable_server_is_one_sentence(checks):
    result = checks.run("clean", "check_migrations", "scenario", DATABASE_URL="postgres://postgres@127.0.0.1:1/orb")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Cannot create a scratch database for the round trip on PostgreSQL" in result.stderr
