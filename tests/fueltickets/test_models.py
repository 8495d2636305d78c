from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from fueltickets.models import DailyFuelTicket, FuelTankSounding, HitchRecord, ServiceTankPair
from tests.conftest import at


def ticket(**kwargs):
    values = {
        "ticket_date": date(2025, 3, 16),
        "meter_start": Decimal("1000.0"),
        "meter_end": Decimal("1450.5"),
        "engineer_name": "J. Smith",
    }
    values.update(kwargs)
    t = DailyFuelTicket(**values)
    t.save()
    return t


def test_consumption_is_derived_and_pair_defaults_to_active(active_pair):
    t = ticket()
    assert t.consumption_gallons == Decimal("450.5")
    assert t.service_tank_pair == active_pair
    t.refresh_from_db()
    assert t.consumption_gallons == Decimal("450.5")


def test_zero_consumption_allowed(active_pair):
    assert ticket(meter_end=Decimal("1000.0")).consumption_gallons == 0


def test_meter_end_below_start_is_refused(active_pair):
    with pytest.raises(ValidationError) as exc:
        ticket(meter_end=Decimal("999.9"))
    assert exc.value.messages == [
        "Meter end (999.9) is below meter start (1000.0); check the readings, end must be at least start."
    ]
    assert not DailyFuelTicket.objects.exists()


@pytest.mark.parametrize("field, value", [("meter_start", Decimal("-1")), ("meter_end", Decimal("1000000.0"))])
def test_meter_range(active_pair, field, value):
    with pytest.raises(ValidationError) as exc:
        ticket(**{field: value, "meter_end" if field == "meter_start" else "meter_start": Decimal("0")})
    assert any("0 to 999,999.9" in m for m in exc.value.messages)
    assert not DailyFuelTicket.objects.exists()


def test_meter_maximum_is_allowed(active_pair):
    assert ticket(meter_start=Decimal("999999.8"), meter_end=Decimal("999999.9")).consumption_gallons == Decimal("0.1")


def test_no_active_pair_is_refused(db):
    with pytest.raises(ValidationError) as exc:
        ticket()
    assert exc.value.messages == ["No service tank pair is active; activate one before recording a ticket."]
    assert not DailyFuelTicket.objects.exists()


def test_database_refuses_end_below_start_too(active_pair):
    t = ticket()
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyFuelTicket.objects.filter(pk=t.pk).update(meter_end=Decimal("1.0"))


def test_next_meter_start_is_last_end(active_pair):
    assert DailyFuelTicket.next_meter_start() is None
    ticket(ticket_date=date(2025, 3, 15), meter_start=Decimal("0"), meter_end=Decimal("900"))
    ticket(ticket_date=date(2025, 3, 16), meter_start=Decimal("900"), meter_end=Decimal("1300.2"))
    assert DailyFuelTicket.next_meter_start() == Decimal("1300.2")


def test_activating_a_pair_closes_the_previous(active_pair):
    new = ServiceTankPair.activate(label="14", at=at(2025, 3, 10, 12, 0))
    active_pair.refresh_from_db()
    assert active_pair.deactivated_at == at(2025, 3, 10, 12, 0)
    assert ServiceTankPair.active_pair() == new
    assert str(new) == "#14 P/S"
    assert ServiceTankPair.objects.active().count() == 1


def test_database_allows_only_one_active_pair(active_pair):
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceTankPair.objects.bulk_create([ServiceTankPair(label="99", activated_at=at(2025, 3, 2))])


def test_reopening_an_old_pair_is_refused(active_pair):
    ServiceTankPair.activate(label="14", at=at(2025, 3, 10))
    active_pair.refresh_from_db()
    active_pair.deactivated_at = None
    with pytest.raises(ValidationError, match="Another service tank pair is active"):
        active_pair.full_clean()


def test_activation_before_the_current_pair_is_refused(active_pair):
    with pytest.raises(ValidationError, match="before #13 P/S was activated"):
        ServiceTankPair.activate(label="14", at=at(2025, 2, 1))
    assert ServiceTankPair.active_pair() == active_pair


def test_pair_with_tickets_is_protected(active_pair):
    ticket()
    with pytest.raises(ProtectedError):
        active_pair.delete()


def test_hitch_record_with_tank_soundings(db):
    hitch = HitchRecord.objects.create(
        vessel="Arrowhead", date=date(2025, 3, 10), total_fuel_gallons=Decimal("10000"), engineer_name="C. Chief"
    )
    FuelTankSounding.objects.create(
        hitch=hitch, tank_number="13", side="port", feet=4, inches=2, gallons=Decimal("2500")
    )
    FuelTankSounding.objects.create(
        hitch=hitch,
        tank_number="18",
        side="stbd",
        is_day_tank=True,
        feet=2,
        inches=0,
        water_present="Trace",
        gallons=Decimal("300"),
    )
    assert hitch.tank_soundings.count() == 2
    duplicate = FuelTankSounding(hitch=hitch, tank_number="13", side="port", feet=1, inches=0, gallons=1)
    with pytest.raises(ValidationError, match="already sounded on this form"):
        duplicate.full_clean()


def test_hitch_end_date_before_date_is_refused(db):
    hitch = HitchRecord(
        vessel="A", date=date(2025, 3, 10), end_date=date(2025, 3, 1), total_fuel_gallons=1, engineer_name="x"
    )
    with pytest.raises(ValidationError, match="end date is before the hitch date"):
        hitch.full_clean()


def test_fuel_tank_sounding_inches_0_11(db):
    hitch = HitchRecord.objects.create(vessel="A", date=date(2025, 3, 10), total_fuel_gallons=1, engineer_name="x")
    with pytest.raises(ValidationError, match="Inches must be 0–11"):
        FuelTankSounding(hitch=hitch, tank_number="7", side="port", feet=1, inches=12, gallons=1).full_clean()
