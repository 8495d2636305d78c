"""Seed a freshly migrated bench database: a ship's ten years, through the ORM.

Run by bench/run.py as a subprocess (DJANGO_SETTINGS_MODULE=tests.e2e.settings, the bench
scenario on ORB_SCENARIO_MODULE, DATABASE_URL pointing at the new database):

    python bench/seed.py --years 10

Writes: the sounding tables (tanks + calibration), one active service tank pair, a
superuser ``bench`` (for the page timings), a hitch baseline every 28 days, a weekly
sounding of every tank (so their ORB entries), one fuel ticket per day in the fuel
tickets table and the same tickets in the bench scenario's ``scenario_ticket``.
Prints one JSON line with the ids the bulk fill needs.
"""

import argparse
import datetime
import io
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.e2e.settings")


def seed_readings(first, days, user):
    """A hitch baseline every 28 days and a weekly sounding of every tank (so its ORB entries)."""
    from django.utils import timezone

    from fueltickets.models import HitchRecord
    from soundings.models import Tank, WeeklySounding

    HitchRecord.objects.bulk_create(
        [
            HitchRecord(
                vessel="Arrowhead",
                date=first + datetime.timedelta(days=d),
                engineer_name="Chief Engineer",
                total_fuel_gallons=Decimal("60000.0"),
                correction=Decimal("0.0"),
            )
            for d in range(0, days, 28)
        ]
    )
    tanks = list(Tank.objects.all())
    for week in range(0, days, 7):
        when = timezone.make_aware(
            datetime.datetime.combine(first + datetime.timedelta(days=week), datetime.time(8, 0))
        )
        for index, tank in enumerate(tanks):
            WeeklySounding(
                tank=tank,
                recorded_at=when,
                feet=(week // 7 + index) % 3,
                inches=(week // 7) % 12,
                engineer_name="A. Engineer",
                engineer_title="2nd Engineer",
                created_by=user,
            ).save()
    return tanks


def seed_tickets(first, days, pair, user):
    """One fuel ticket a day, and the same tickets in the bench scenario's ``scenario_ticket``."""
    from django.db import connection

    from fueltickets.models import DailyFuelTicket

    meter = Decimal("1000.0")
    tickets = []
    for d in range(days):
        use = Decimal(300 + d % 50) + Decimal(d % 10) / 10
        if meter + use > Decimal("999999.9"):
            meter = Decimal("0.0")
        tickets.append(
            DailyFuelTicket(
                ticket_date=first + datetime.timedelta(days=d),
                meter_start=meter,
                meter_end=meter + use,
                consumption_gallons=use,
                service_tank_pair=pair,
                engineer_name="A. Engineer",
                created_by=user,
            )
        )
        meter += use
    DailyFuelTicket.objects.bulk_create(tickets, batch_size=500)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scenario_ticket (ticket_date, meter_start, meter_end, consumption_gallons, "
            "engineer_name, notes, created_at, service_tank_pair_id, created_by_id) "
            "SELECT ticket_date, meter_start, meter_end, consumption_gallons, engineer_name, notes, "
            "created_at, service_tank_pair_id, created_by_id FROM fueltickets_dailyfuelticket ORDER BY id"
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from fueltickets.models import DailyFuelTicket, ServiceTankPair
    from soundings.models import WeeklySounding

    call_command("load_sounding_tables", verbosity=0, stdout=io.StringIO())
    days = args.years * 365
    today = timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    with transaction.atomic():
        user = get_user_model().objects.create_superuser("bench", "bench@example.invalid", "bench-password")
        pair = ServiceTankPair.activate(
            label="13", at=timezone.make_aware(datetime.datetime.combine(first, datetime.time(0, 0)))
        )
        tanks = seed_readings(first, days, user)
        seed_tickets(first, days, pair, user)
    print(
        json.dumps(
            {
                "user_id": user.pk,
                "pair_id": pair.pk,
                "first": first.isoformat(),
                "today": today.isoformat(),
                "tickets": DailyFuelTicket.objects.count(),
                "soundings": WeeklySounding.objects.count(),
                "tanks": len(tanks),
            }
        )
    )


if __name__ == "__main__":
    main()
