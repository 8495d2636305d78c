"""End to end on a real SQLite file (issue 15): a ship's database written before the ticket rules,
holding what the issue found (two tickets for one day, a ticket dated next year, a meter start of
50.0 after an end of 107,100.0, and already today's ticket), is upgraded with
``manage.py safe_migrate``: every row is kept as it was (the rules refuse new bad input, they never
rewrite the record) and the smoke checks pass although today has its ticket. Then, through
``manage.py shell``, the rules refuse a second ticket for today and a bunker delivery writes its
three Code H draft entries, linked to it."""

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import Project, assert_clean

# Its own SQLite file whatever DATABASE_URL says: deselected in make test's PostgreSQL pass.
pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_file]

TICKETS = (
    "SELECT id, ticket_date, meter_start, meter_end, consumption_gallons, engineer_name "
    "FROM fueltickets_dailyfuelticket ORDER BY id"
)


def rows(db, sql):
    with sqlite3.connect(db) as conn:
        return [tuple(r) for r in conn.execute(sql)]


def seed_old_tickets(db, today):
    def day(n):
        return (today + timedelta(days=n)).isoformat()

    now = datetime.now(UTC).isoformat(sep=" ")
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO fueltickets_servicetankpair (label, activated_at, deactivated_at, notes, created_at) "
            "VALUES ('13', ?, NULL, '', ?)",
            (now, now),
        )
        pair = conn.execute("SELECT id FROM fueltickets_servicetankpair").fetchone()[0]
        tickets = [
            (day(-3), "106200.0", "107100.0"),
            (day(-2), "50.0", "950.0"),  # meter start after an end of 107,100.0
            (day(-2), "950.0", "1000.0"),  # a second ticket for the same day
            (day(365), "1000.0", "1900.0"),  # dated next year
            (day(0), "1900.0", "2800.0"),  # today's ticket is already in
        ]
        conn.executemany(
            "INSERT INTO fueltickets_dailyfuelticket (ticket_date, meter_start, meter_end, consumption_gallons, "
            "service_tank_pair_id, engineer_name, notes, created_at) VALUES (?, ?, ?, ?, ?, 'A. Jones', '', ?)",
            [(d, s, e, str(float(e) - float(s)), pair, now) for d, s, e in tickets],
        )


SECOND_TICKET = """
from django.core.exceptions import ValidationError
from django.utils import timezone
from fueltickets.models import DailyFuelTicket
from orb.shiptime import ship_date
try:
    DailyFuelTicket(ticket_date=ship_date(timezone.now()), meter_start=2800, meter_end=2900, engineer_name="x").save()
except ValidationError as error:
    print("refused:", error.message_dict["ticket_date"][0])
"""

BUNKER = """
from datetime import timedelta
from django.utils import timezone
from fueltickets.models import BunkerDelivery
from orb.shiptime import ship_date
BunkerDelivery(delivered_on=ship_date(timezone.now()) - timedelta(days=1), started_at="09:00", finished_at="13:30",
               place="Port Fourchon, LA", bdn_number="4471", quantity_gallons="5000.0", tanks="#7 P/S",
               engineer_name="A. Jones").save()
print("recorded")
"""


def test_an_old_database_keeps_its_tickets_and_the_rules_hold_new_input(tmp_path):
    project = Project(tmp_path)
    assert_clean(project.run("safe_migrate", "fueltickets", "0003_meter_digits", "--noinput"), 0)
    today = datetime.now(UTC).date()  # the project's default time zone is UTC and no ship offset is set
    seed_old_tickets(project.db, today)
    before = rows(project.db, TICKETS)

    result = project.run("safe_migrate", "--noinput")

    assert_clean(result, 0)
    assert "Running the smoke checks (rolled back)... OK" in result.stdout
    assert rows(project.db, TICKETS) == before
    assert rows(project.db, "SELECT DISTINCT meter_reset, meter_reset_reason FROM fueltickets_dailyfuelticket") == [
        (0, "")
    ]
    applied = rows(project.db, "SELECT app, name FROM django_migrations WHERE app IN ('fueltickets', 'orb')")
    assert ("fueltickets", "0004_rules_and_bunker_deliveries") in applied
    assert ("orb", "0005_bunker_delivery_permissions") in applied

    refused = project.run("shell", "-c", SECOND_TICKET)
    assert refused.returncode == 0, refused.stderr
    assert "refused: There is already a ticket for " in refused.stdout
    assert "one ticket per day: correct that ticket instead of adding another." in refused.stdout
    assert rows(project.db, TICKETS) == before

    recorded = project.run("shell", "-c", BUNKER)
    assert recorded.returncode == 0 and "recorded" in recorded.stdout, recorded.stderr
    entries = rows(
        project.db,
        "SELECT e.code, e.item, e.state FROM soundings_orbentry e "
        "JOIN fueltickets_bunkerentry l ON l.entry_id = e.id "
        "JOIN fueltickets_bunkerdelivery b ON b.id = l.bunker_id WHERE b.bdn_number = '4471' ORDER BY e.item",
    )
    assert entries == [("H", "26.1", "draft"), ("H", "26.2", "draft"), ("H", "26.3", "draft")]
