"""Fill a scenario database with readings and fuel tickets (real data to protect)."""

import datetime
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction


class Command(BaseCommand):
    help = "Seed the e2e scenario database."

    def add_arguments(self, parser):
        parser.add_argument("--readings", type=int, default=300)
        parser.add_argument("--tickets", type=int, default=200)

    @transaction.atomic
    def handle(self, *args, readings, tickets, **options):
        from fueltickets.models import DailyFuelTicket, ServiceTankPair

        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO scenario_reading (name, value, note) VALUES (%s, %s, %s)",
                [(f"reading {i}", i * 7 % 1000, f"note {i}" if i % 3 else None) for i in range(readings)],
            )
        pair = ServiceTankPair.objects.create(label="13")
        start = datetime.date(2024, 1, 1)
        meter = Decimal("1000.0")
        rows = []
        for day in range(tickets):
            use = Decimal(300 + day % 50)
            rows.append(
                DailyFuelTicket(
                    ticket_date=start + datetime.timedelta(days=day),
                    meter_start=meter,
                    meter_end=meter + use,
                    consumption_gallons=use,
                    service_tank_pair=pair,
                    engineer_name="E2E Engineer",
                )
            )
            meter += use
        DailyFuelTicket.objects.bulk_create(rows)
        self.stdout.write(f"seeded {readings} readings and {tickets} tickets")
