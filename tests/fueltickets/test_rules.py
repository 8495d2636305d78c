"""The rules of fuel tickets, hitches and bunker deliveries (issue 15), on the models.

Each bad input of the issue is reproduced here and refused with one sentence next to its field."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fueltickets.models import BunkerDelivery, DailyFuelTicket, HitchRecord
from fueltickets.ticket_rules import open_day
from orb.models import ShipTimeOffset
from orb.shiptime import ship_date
from orb.smoke import run_smoke_checks
from tests.conftest import at


def ticket(day, start, end, **extra):
    t = DailyFuelTicket(ticket_date=day, meter_start=Decimal(start), meter_end=Decimal(end), engineer_name="J. Smith")
    for name, value in extra.items():
        setattr(t, name, value)
    t.save()
    return t


def refused(func):
    with pytest.raises(ValidationError) as exc:
        func()
    return exc.value.message_dict


def today():
    return ship_date(timezone.now())


def test_a_ticket_dated_next_year_is_refused(active_pair):
    next_year = date(today().year + 1, today().month, min(today().day, 28))
    errors = refused(lambda: ticket(next_year, "100.0", "200.0"))
    assert list(errors) == ["ticket_date"]
    assert errors["ticket_date"][0].startswith(f"{next_year.day:02d}-")
    assert "is in the future: the date on board is" in errors["ticket_date"][0]
    assert not DailyFuelTicket.objects.exists()


def test_the_future_is_the_ships_date_not_the_servers(active_pair):
    """Ship's clocks at UTC+14: the ship's today may be the server's tomorrow, and is accepted."""
    ShipTimeOffset.objects.create(effective_from=at(2020, 1, 1), offset_minutes=14 * 60)
    ship_today = ship_date(timezone.now())
    assert ticket(ship_today, "0.0", "1.0").ticket_date == ship_today
    errors = refused(lambda: ticket(ship_today + timedelta(days=1), "1.0", "2.0"))
    assert "is in the future" in errors["ticket_date"][0]


def test_a_second_ticket_for_the_same_day_is_refused(active_pair):
    ticket(date(2025, 3, 15), "100.0", "1000.0")
    errors = refused(lambda: ticket(date(2025, 3, 15), "1000.0", "1100.0"))
    assert errors == {
        "ticket_date": [
            "There is already a ticket for 15-MAR-2025 (by J. Smith); one ticket per day: "
            "correct that ticket instead of adding another."
        ]
    }
    assert DailyFuelTicket.objects.count() == 1


def test_meter_start_must_be_the_previous_end(active_pair):
    """The issue: a meter start of 50.0 after an end of 107100.0 was accepted."""
    ticket(date(2025, 3, 14), "106200.0", "107100.0")
    errors = refused(lambda: ticket(date(2025, 3, 15), "50.0", "950.0"))
    assert errors == {
        "meter_start": [
            "Meter start 50.0 is not the previous ticket's end (107,100.0 gal on 14-MAR-2025); enter 107,100.0, "
            "or tick 'meter replaced or reset' and say why."
        ]
    }
    assert ticket(date(2025, 3, 15), "107100.0", "108000.0").consumption_gallons == Decimal("900.0")


def test_a_replaced_meter_needs_a_reason(active_pair):
    ticket(date(2025, 3, 14), "106200.0", "107100.0")
    errors = refused(lambda: ticket(date(2025, 3, 15), "50.0", "950.0", meter_reset=True))
    assert errors == {
        "meter_reset_reason": ["Say why the meter was replaced or reset; the reason goes in the history."]
    }
    t = ticket(date(2025, 3, 15), "50.0", "950.0", meter_reset=True, meter_reset_reason="Meter replaced, 15-MAR")
    assert t.consumption_gallons == Decimal("900.0")


def test_the_previous_ticket_is_by_date_not_by_entry_order(active_pair):
    ticket(date(2025, 3, 10), "0.0", "100.0")
    ticket(date(2025, 3, 12), "100.0", "300.0")
    # A forgotten 11 MAR ticket, added late, starts from 10 MAR's end.
    assert ticket(date(2025, 3, 11), "100.0", "100.0").consumption_gallons == 0
    assert DailyFuelTicket.next_meter_start(day=date(2025, 3, 13)) == Decimal("300.0")


def test_the_meter_start_offered_ignores_a_ticket_already_in_the_future(active_pair):
    """Written before the rule, a ticket dated next year filled every later ticket's meter start."""
    ticket(today() - timedelta(days=1), "0.0", "100.0")
    DailyFuelTicket.objects.bulk_create(  # as an older version let it in, around the rules
        [
            DailyFuelTicket(
                ticket_date=today() + timedelta(days=365),
                meter_start=Decimal("100.0"),
                meter_end=Decimal("5000.0"),
                consumption_gallons=Decimal("4900.0"),
                service_tank_pair=active_pair,
                engineer_name="x",
            )
        ]
    )
    assert DailyFuelTicket.next_meter_start(day=today() + timedelta(days=1)) == Decimal("100.0")
    assert ticket(today(), "100.0", "200.0").consumption_gallons == Decimal("100.0")


def test_hitch_dated_in_the_future_is_refused(db):
    hitch = HitchRecord(
        vessel="Arrowhead", date=today() + timedelta(days=2), total_fuel_gallons=Decimal("1"), engineer_name="C"
    )
    assert "is in the future" in refused(hitch.full_clean)["date"][0]


def test_hitch_total_against_its_soundings():
    """The issue: 20,000 gal accepted against 8,920 gal in its soundings."""
    hitch = HitchRecord(total_fuel_gallons=Decimal("20000"))
    assert hitch.soundings_problem(Decimal("8920")) == (
        "Total fuel on board 20,000.0 gal is not the sum of the tank soundings below, 8,920.0 gal "
        "(allowed difference 89.2 gal); check the total and each tank's gallons."
    )
    assert HitchRecord(total_fuel_gallons=Decimal("9009.2")).soundings_problem(Decimal("8920")) is None
    assert HitchRecord(total_fuel_gallons=Decimal("9009.3")).soundings_problem(Decimal("8920")) is not None
    assert HitchRecord(total_fuel_gallons=Decimal("110")).soundings_problem(Decimal("100")) is None  # at least 10


def bunker(**extra):
    values = {
        "delivered_on": date(2025, 3, 12),
        "started_at": "09:00",
        "finished_at": "13:30",
        "place": "Port Fourchon, LA",
        "bdn_number": "BDN 4471",
        "quantity_gallons": Decimal("5000.0"),
        "tanks": "#7 P/S",
        "engineer_name": "J. Smith",
    }
    values.update(extra)
    b = BunkerDelivery(**values)
    b.save()
    return b


def test_bunker_rules(db):
    assert "is in the future" in refused(lambda: bunker(delivered_on=today() + timedelta(days=1)))["delivered_on"][0]
    assert "Finished is before started" in refused(lambda: bunker(finished_at="08:00"))["finished_at"][0]
    assert refused(lambda: bunker(quantity_gallons=Decimal("0")))["quantity_gallons"] == [
        "A delivery adds fuel: the quantity must be positive."
    ]
    assert not BunkerDelivery.objects.exists()


def test_smoke_check_passes_when_today_already_has_a_ticket(active_pair):
    """safe_migrate's smoke check writes a ticket (rolled back): one per day must not fail it."""
    ticket(today() - timedelta(days=1), "0.0", "100.0")
    ticket(today(), "100.0", "200.0")
    day, start = open_day()
    assert day == today() - timedelta(days=2) and start == 0
    assert "record a fuel ticket" in run_smoke_checks()
    assert DailyFuelTicket.objects.count() == 2
