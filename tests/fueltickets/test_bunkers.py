"""Bunker deliveries and their Oil Record Book entry, Code H items 26.1-26.3 (issue 15)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from fueltickets.models import BunkerDelivery, BunkerEntry
from orb.models import ShipTimeOffset
from soundings.models import OrbEntry
from tests.conftest import at, sign_all


def bunker(**extra):
    values = {
        "delivered_on": date(2025, 3, 12),
        "started_at": "09:00",
        "finished_at": "13:30",
        "place": "Port Fourchon, LA",
        "bdn_number": "4471",
        "fuel_type": "MGO",
        "quantity_gallons": Decimal("5000.0"),
        "tanks": "#7 P/S, #9 P/S",
        "tanks_total_gallons": Decimal("12000.0"),
        "engineer_name": "J. Smith",
    }
    values.update(extra)
    b = BunkerDelivery(**values)
    b.save()
    return b


def lines(b):
    return list(b.entries.order_by("item").values_list("code", "item", "text", "state"))


def test_a_delivery_writes_its_code_h_entry_as_drafts(db):
    b = bunker()
    assert lines(b) == [
        ("H", "26.1", "Port Fourchon, LA", "draft"),
        ("H", "26.2", "12-MAR-2025: started 09:00, finished 13:30 (ship's time)", "draft"),
        (
            "H",
            "26.3",
            "MGO: 18.93 m³ (5,000.0 gal) received into #7 P/S, #9 P/S, BDN 4471; "
            "total content of those tanks 45.42 m³.",
            "draft",
        ),
    ]
    entry = b.entries.first()
    assert entry.entry_date == date(2025, 3, 12) and entry.officer_name == "J. Smith"
    assert BunkerEntry.objects.filter(bunker=b).count() == 3


def test_the_entry_carries_the_ships_date_and_time(db):
    """Ship's clocks at UTC-06:00: finished 22:30 on 12 MAR is 04:30 UTC on 13 MAR; the book says 12 MAR."""
    ShipTimeOffset.objects.create(effective_from=at(2025, 1, 1), offset_minutes=-360)
    b = bunker(finished_at="22:30")
    entry = b.entries.get(item="26.1")
    assert entry.instant == datetime(2025, 3, 13, 4, 30, tzinfo=UTC)
    assert entry.entry_date == date(2025, 3, 12) and entry.ship_offset_minutes == -360


def test_changing_a_delivery_rewrites_its_drafts(db):
    b = bunker()
    first_ids = set(b.entries.values_list("pk", flat=True))
    b.save()  # nothing changed: the same drafts
    assert set(b.entries.values_list("pk", flat=True)) == first_ids
    b.quantity_gallons = Decimal("5200.0")
    b.save()
    assert "19.68 m³ (5,200.0 gal)" in b.entries.get(item="26.3").text
    assert b.entries.count() == 3 and not OrbEntry.objects.filter(pk__in=first_ids).exists()


def test_signed_entries_freeze_the_delivery(officer):
    b = bunker()
    sign_all(b.entries.all(), officer)
    assert [s for *_, s in lines(b)] == ["signed"] * 3
    assert OrbEntry.objects.get(item="26.1").signature_line.startswith("signed: J. Smith, 2nd Engineer,")
    b.refresh_from_db()
    b.quantity_gallons = Decimal("1.0")
    with pytest.raises(ValidationError, match="entries are signed, so it can no longer be changed"):
        b.save()
    with pytest.raises(ValidationError, match="never deleted"):
        b.delete()
    b.refresh_from_db()
    assert b.quantity_gallons == Decimal("5000.0") and b.entries.count() == 3


def test_discarding_a_draft_removes_only_its_link(officer):
    b = bunker()
    draft = b.entries.get(item="26.2")
    draft.discard(user=officer)
    assert sorted(b.entries.values_list("item", flat=True)) == ["26.1", "26.3"]
    assert BunkerDelivery.objects.filter(pk=b.pk).exists()
