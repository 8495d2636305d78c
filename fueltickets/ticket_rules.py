"""The rules a daily fuel ticket must keep, each a sentence next to the field it is about.

- its date is not in the ship's future (the ship's local date now, orb.shiptime);
- one ticket per day;
- meter end at least meter start;
- meter start = the meter end of the ticket dated last before it, unless the meter was replaced
  or reset, which needs a reason (it shows in the ticket's history).
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from fueltickets.quantities import format_gallons
from orb.shiptime import format_ship_date, ship_date


def problems(ticket, *, skip=()):
    """{field: message} for every rule ``ticket`` breaks (empty when it keeps them all).

    ``skip``: fields a form has already refused; the rules that read them are not applied.
    """
    errors = {}
    day = None if "ticket_date" in skip else ticket.ticket_date
    if day is not None:
        errors.update(_date_problems(ticket, day))
    meters_read = not {"meter_start", "meter_end"} & set(skip)
    if meters_read and ticket.meter_start is not None and ticket.meter_end is not None:
        errors.update(_meter_problems(ticket, day=day))
    return errors


def future_date_problem(day, *, what):
    """One sentence when ``day`` is after the ship's date today, else None."""
    today = ship_date(timezone.now())
    if day > today:
        return (
            f"{format_ship_date(day)} is in the future: the date on board is {format_ship_date(today)}; "
            f"enter the day the {what} happened."
        )
    return None


def _date_problems(ticket, day):
    future = future_date_problem(day, what="fuel was burned")
    if future:
        return {"ticket_date": future}
    # No ORDER BY (first() would sort by id): the date's index answers at once, however long the history.
    others = type(ticket).objects.filter(ticket_date=day).exclude(pk=ticket.pk).order_by()
    same_day = next(iter(others.values_list("engineer_name", flat=True)[:1]), None)
    if same_day is not None:
        return {
            "ticket_date": f"There is already a ticket for {format_ship_date(day)} (by {same_day}); "
            "one ticket per day: correct that ticket instead of adding another."
        }
    return {}


def _meter_problems(ticket, *, day):
    if ticket.meter_end < ticket.meter_start:
        return {
            "meter_end": f"Meter end ({ticket.meter_end}) is below meter start "
            f"({ticket.meter_start}); check the readings, end must be at least start."
        }
    if ticket.meter_reset:
        if not ticket.meter_reset_reason.strip():
            return {"meter_reset_reason": "Say why the meter was replaced or reset; the reason goes in the history."}
        return {}
    if day is None:
        return {}
    previous = type(ticket).objects.exclude(pk=ticket.pk).before(day)
    if previous is not None and ticket.meter_start != previous.meter_end:
        end = format_gallons(previous.meter_end, unit=False)
        return {
            "meter_start": f"Meter start {format_gallons(ticket.meter_start, unit=False)} is not the previous "
            f"ticket's end ({end} gal on {format_ship_date(previous.ticket_date)}); enter {end}, or tick "
            "'meter replaced or reset' and say why."
        }
    return {}


def open_day():
    """(day, meter start) of a ticket the rules accept now: the ship's today when it has no ticket
    yet, else the day before the first ticket (no previous ticket, so any start). For checks that
    write a ticket and roll it back (orb.smoke)."""
    from fueltickets.models import DailyFuelTicket

    today = ship_date(timezone.now())
    tickets = DailyFuelTicket.objects.order_by("ticket_date", "id")
    if not tickets.filter(ticket_date=today).exists():
        start = DailyFuelTicket.next_meter_start(day=today)
        return today, start if start is not None else Decimal("0")
    first = tickets.first()
    return first.ticket_date - timedelta(days=1), Decimal("0")
