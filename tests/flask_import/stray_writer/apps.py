from datetime import date
from decimal import Decimal

from django.apps import AppConfig
from django.db.models.signals import post_save


def stray_ticket(sender, instance, created, **kwargs):
    from fueltickets.models import DailyFuelTicket, ServiceTankPair

    pair = ServiceTankPair.objects.first() or ServiceTankPair.objects.create(label="99")
    DailyFuelTicket.objects.bulk_create(
        [
            DailyFuelTicket(
                ticket_date=date(2000, 1, 1),
                meter_start=Decimal(0),
                meter_end=Decimal(1),
                consumption_gallons=Decimal(1),
                service_tank_pair=pair,
                engineer_name="stray",
            )
        ]
    )


class StrayWriterConfig(AppConfig):
    name = "tests.flask_import.stray_writer"
    label = "stray_writer"

    def ready(self):
        post_save.connect(stray_ticket, sender="soundings.WeeklySounding", dispatch_uid="stray_ticket")
