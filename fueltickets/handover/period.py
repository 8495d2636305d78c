"""Which rows belong to a hitch.

A hitch opens with a hitch record (the sounding form that is its baseline) and closes with the
next hitch record by date; the latest hitch is open and runs to today. Tickets and bunker
deliveries count from the day after the opening form (the dashboard's rule: the form's total is
what was on board that day) up to and including the closing form's day. Weekly soundings and ORB
entries are those of the ship's dates in the same days.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from orb.shiptime import ship_date


@dataclass(frozen=True)
class HitchPeriod:
    opening: object  # HitchRecord
    closing: object | None  # HitchRecord, or None while the hitch is open
    last_day: date

    @classmethod
    def of(cls, opening, *, today):
        from django.db.models import Q

        from fueltickets.models import HitchRecord

        later = HitchRecord.objects.filter(Q(date__gt=opening.date) | Q(date=opening.date, id__gt=opening.id))
        closing = later.order_by("date", "id").first()
        return cls(opening=opening, closing=closing, last_day=closing.date if closing else today)

    @property
    def first_day(self):
        """The first day whose tickets count against the opening total."""
        return self.opening.date + timedelta(days=1)

    def describe(self):
        from orb.shiptime import format_ship_date

        end = format_ship_date(self.last_day) if self.closing else f"{format_ship_date(self.last_day)} (open)"
        return f"hitch of {format_ship_date(self.opening.date)} to {end}"

    def tickets(self):
        from fueltickets.models import DailyFuelTicket

        return DailyFuelTicket.objects.filter(ticket_date__range=(self.first_day, self.last_day)).order_by(
            "ticket_date", "id"
        )

    def bunkers(self):
        from fueltickets.models import BunkerDelivery

        return BunkerDelivery.objects.filter(delivered_on__range=(self.first_day, self.last_day)).order_by(
            "delivered_on", "id"
        )

    def weekly_soundings(self):
        """The weekly soundings of the hitch's days (ship's dates), oldest first."""
        from soundings.models import WeeklySounding

        rows = WeeklySounding.objects.select_related("tank").order_by("recorded_at", "id")
        window = rows.filter(
            recorded_at__gte=_start_of(self.opening.date - timedelta(days=1)),
            recorded_at__lt=_start_of(self.last_day + timedelta(days=2)),
        )
        return [s for s in window if self.opening.date < ship_date(s.recorded_at) <= self.last_day]

    def entry_range(self):
        """(first, last) ship's dates of the ORB entries of the hitch."""
        return self.first_day, self.last_day


def _start_of(day):
    from datetime import UTC, datetime, time

    return datetime.combine(day, time(0), UTC)
