"""What the engine room records (issue 14): Code C 11.x with the IOPP's tank and capacity and the
source of a manual collection, Code C 12.x sludge disposals, Code I without item numbers, quarter
inches; and the sounding rules of issue 15 (not in the ship's future, one scheduled sounding per
tank per ship's day)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from orb.models import ShipTimeOffset
from soundings import chain
from soundings.models import OrbEntry, SludgeDisposal, Tank, WeeklySounding
from tests.conftest import PASSWORD, at, record_sounding, sign_all


def texts(obj):
    return [(e.code, e.item, e.text) for e in obj.entries.order_by("id")]


def field_errors(exc):
    return dict(exc.value.message_dict)


# --- Code C 11.x: the IOPP's wording and capacity, 11.4's source, quarter inches ---------------


def test_items_11_1_and_11_2_are_the_iopp_wording_and_capacity(tanks):
    tank = tanks["17S"]
    tank.iopp_wording = "Sludge tank 17S, Fr 17-19 stbd"
    tank.iopp_capacity_m3 = Decimal("6.10")  # as the IOPP states it: not 1607 gal converted (6.08)
    tank.save()
    sounding = record_sounding(tank, feet=1, inches=6)
    assert texts(sounding)[:2] == [("C", "11.1", "Sludge tank 17S, Fr 17-19 stbd"), ("C", "11.2", "6.10 m³")]


def test_a_tank_without_iopp_fields_falls_back_to_its_name_and_gallons(sparse_tank):
    sounding = record_sounding(sparse_tank, feet=1, inches=0)
    assert texts(sounding) == [("C", "11.1", "9S Sludge Tank"), ("C", "11.2", "1.36 m³"), ("C", "11.3", "0.45 m³")]


def test_item_11_4_names_the_source_and_needs_it(tanks):
    with pytest.raises(ValidationError) as exc:
        record_sounding(tanks["17S"], feet=1, inches=6, manual_collection_m3=Decimal("0.5"))
    assert field_errors(exc) == {
        "manual_collection_source": ["Say where the sludge was collected from by hand; item 11.4 writes it."]
    }
    with pytest.raises(ValidationError) as exc:
        record_sounding(tanks["17S"], feet=1, inches=6, manual_collection_source="drip trays")
    assert field_errors(exc) == {
        "manual_collection_source": ["Give the quantity collected by hand too, or leave this empty."]
    }
    assert not WeeklySounding.objects.exists()
    sounding = record_sounding(
        tanks["17S"], feet=1, inches=6, manual_collection_m3=Decimal("0.5"), manual_collection_source="drip trays"
    )
    assert texts(sounding)[-1] == ("C", "11.4", "0.50 m³ collected from drip trays")


@pytest.mark.parametrize(
    "quarters, gallons, m3",
    [(0, "619.00", "2.34"), (1, "632.50", "2.39"), (2, "646.00", "2.45"), (3, "659.50", "2.50")],
)
def test_quarter_inches_interpolate_between_rows(tanks, quarters, gallons, m3):
    # 1 ft 6 in = 619 gal, 1 ft 7 in = 673 gal: each quarter inch adds 13.5 gal.
    sounding = record_sounding(tanks["17S"], feet=1, inches=6, quarters=quarters)
    assert sounding.gallons == Decimal(gallons)
    assert texts(sounding)[2] == ("C", "11.3", f"{m3} m³")
    assert sounding.calibration_version == tanks["17S"].current_version


def test_a_quarter_inch_beyond_the_table_is_refused(tanks):
    with pytest.raises(ValidationError) as exc:
        record_sounding(tanks["17S"], feet=3, inches=0, quarters=1)
    assert exc.value.messages == [
        "17S: 3 ft 0¼ in is beyond the calibration table (0 ft 0 in to 3 ft 0 in); "
        "re-sound the tank or extend the table."
    ]


def test_quarters_outside_0_to_3_are_refused(tanks):
    with pytest.raises(ValidationError) as exc:
        record_sounding(tanks["17S"], feet=1, inches=0, quarters=4)
    assert "quarters" in exc.value.message_dict


# --- Code I ---------------------------------------------------------------------------------------


def test_the_bilge_remark_is_written_for_the_scheduled_sounding_only(tanks):
    tank = tanks["17P"]
    scheduled = record_sounding(tank, feet=1, inches=6)
    adhoc = record_sounding(tank, feet=1, inches=7, kind="ad-hoc", when=at(2025, 3, 16, 14, 0))
    again = record_sounding(tank, feet=1, inches=6, kind="re-sounding", when=at(2025, 3, 16, 15, 0))
    assert [(c, i) for c, i, _ in texts(scheduled)] == [("I", "")]
    assert texts(scheduled)[0][2].startswith("Weekly inventory of bilge water holding tank(s) (IOPP 3.3): 17P")
    assert texts(adhoc) == [] and texts(again) == []
    assert again.is_resounding and WeeklySounding.objects.filter(kind="re-sounding").count() == 1


def test_a_sludge_tank_writes_its_11_x_items_for_every_kind(tanks):
    record_sounding(tanks["17S"], feet=1, inches=6)
    adhoc = record_sounding(tanks["17S"], feet=1, inches=0, kind="ad-hoc", when=at(2025, 3, 16, 14, 0))
    assert [i for _, i, _ in texts(adhoc)] == ["11.1", "11.2", "11.3"]


def test_a_free_text_code_i_entry_is_signed_and_has_no_item(db, officer):
    entry = OrbEntry(code="I", item="34.1", text="Oily water separator overhauled.", instant=at(2025, 3, 16, 9, 0))
    with pytest.raises(ValidationError) as exc:
        entry.full_clean()
    assert exc.value.message_dict == {"item": ["Code I entries have no item numbers; leave the item empty."]}
    entry.item = ""
    entry.save()
    entry.sign(user=officer, password=PASSWORD)
    assert entry.is_signed and (entry.code, entry.item) == ("I", "")
    assert chain.verify_book().ok


# --- Sounding rules (issue 15) ----------------------------------------------------------------------


def test_a_sounding_in_the_ships_future_is_refused_next_to_its_time(tanks):
    with pytest.raises(ValidationError) as exc:
        record_sounding(tanks["17S"], feet=1, inches=0, when=timezone.now() + timedelta(days=400))
    errors = field_errors(exc)
    assert list(errors) == ["recorded_at"]
    assert (
        "lies in the future" in errors["recorded_at"][0]
        and "enter the time the operation happened" in errors["recorded_at"][0]
    )
    assert not WeeklySounding.objects.exists() and not OrbEntry.objects.exists()


def test_a_second_scheduled_sounding_the_same_ships_day_is_refused(tanks):
    # Ship time UTC-06:00: 10:00 UTC is 04:00 on 16 March, and 02:00 UTC on 17 March is still
    # 20:00 on 16 March aboard; a different UTC day, the same ship's day.
    ShipTimeOffset.objects.create(effective_from=at(2025, 3, 1), offset_minutes=-360)
    tank = tanks["17S"]
    record_sounding(tank, feet=1, inches=6, when=at(2025, 3, 16, 10, 0))
    with pytest.raises(ValidationError) as exc:
        record_sounding(tank, feet=1, inches=5, when=at(2025, 3, 17, 2, 0))
    assert field_errors(exc) == {
        "kind": [
            "17S already has its scheduled sounding on 16-MAR-2025 (taken at 04:00 ship time); "
            "record this one as a re-sounding."
        ]
    }
    assert WeeklySounding.objects.count() == 1
    again = record_sounding(tank, feet=1, inches=5, when=at(2025, 3, 17, 2, 0), kind="re-sounding")
    assert again.kind == WeeklySounding.Kind.RESOUNDING
    # The next ship's day (06:00 UTC on 17 March = 00:00 aboard) takes a scheduled sounding again.
    record_sounding(tank, feet=1, inches=5, when=at(2025, 3, 17, 6, 0))
    # Another tank is not affected.
    record_sounding(tanks["17P"], feet=1, inches=5, when=at(2025, 3, 16, 11, 0))
    assert WeeklySounding.objects.filter(kind="scheduled").count() == 3


def test_a_re_sounding_needs_a_scheduled_sounding_that_day(tanks):
    with pytest.raises(ValidationError) as exc:
        record_sounding(tanks["17S"], feet=1, inches=6, kind="re-sounding")
    assert field_errors(exc) == {
        "kind": ["17S has no scheduled sounding on 16-MAR-2025 to repeat; record this one as scheduled or ad-hoc."]
    }


def test_ad_hoc_soundings_are_not_limited(tanks):
    for hour in (11, 12, 13):
        record_sounding(tanks["17S"], feet=1, inches=0, kind="ad-hoc", when=at(2025, 3, 16, hour, 0))
    record_sounding(tanks["17S"], feet=1, inches=0)
    assert WeeklySounding.objects.count() == 4


# --- Code C 12.x: sludge disposals -----------------------------------------------------------------


def dispose(tank, method, *, when=None, quantity="1.25", **fields):
    disposal = SludgeDisposal(
        method=method,
        tank=tank,
        instant=when or at(2025, 3, 18, 9, 0),
        quantity_m3=Decimal(quantity),
        engineer_name="J. Smith",
        engineer_title="2nd Engineer",
        **fields,
    )
    disposal.save()
    return disposal


@pytest.mark.parametrize(
    "method, fields, text",
    [
        (
            "12.1",
            {"facility": "Harbour Oil Services, Rotterdam", "receipt_reference": "R-2025-0311"},
            "1.25 m³ sludge from 17S Dirty Oil Tank discharged to reception facility "
            "Harbour Oil Services, Rotterdam, receipt R-2025-0311",
        ),
        ("12.2", {"to_tank": "17P"}, "1.25 m³ sludge transferred from 17S Dirty Oil Tank to 17P Oily Water Tank"),
        (
            "12.3",
            {"hours": Decimal("3.5")},
            "1.25 m³ sludge from 17S Dirty Oil Tank incinerated, 3.5 hours of operation",
        ),
        (
            "12.4",
            {"other_method": "evaporation in the sludge boiler"},
            "1.25 m³ sludge from 17S Dirty Oil Tank disposed of by evaporation in the sludge boiler",
        ),
    ],
)
def test_each_disposal_writes_its_entry_as_a_draft_and_it_is_signed(tanks, officer, method, fields, text):
    if "to_tank" in fields:
        fields = {"to_tank": tanks[fields["to_tank"]]}
    disposal = dispose(tanks["17S"], method, **fields)
    assert texts(disposal) == [("C", method, text)]
    entry = disposal.entries.get()
    assert (entry.state, entry.officer_name, entry.instant) == ("draft", "J. Smith", disposal.instant)
    sign_all([entry], officer)
    assert OrbEntry.objects.get(pk=entry.pk).is_signed and chain.verify_book().ok


@pytest.mark.parametrize(
    "method, fields, errors",
    [
        (
            "12.1",
            {"hours": Decimal("2")},
            {
                "facility": ["12.1 to a reception facility needs the reception facility."],
                "receipt_reference": ["12.1 to a reception facility needs the receipt reference."],
                "hours": ["Leave this empty for 12.1 to a reception facility; it belongs to 12.3 incinerated."],
            },
        ),
        ("12.2", {}, {"to_tank": ["12.2 to another tank needs the to tank."]}),
        ("12.3", {}, {"hours": ["12.3 incinerated needs the incinerator hours."]}),
        ("12.4", {}, {"other_method": ["12.4 other method needs the method."]}),
    ],
)
def test_a_disposal_missing_its_details_is_refused_next_to_each_field(tanks, method, fields, errors):
    with pytest.raises(ValidationError) as exc:
        dispose(tanks["17S"], method, **fields)
    assert field_errors(exc) == errors
    assert not SludgeDisposal.objects.exists() and not OrbEntry.objects.exists()


def test_a_disposal_from_a_bilge_tank_to_itself_or_in_the_future_is_refused(tanks):
    with pytest.raises(ValidationError) as exc:
        dispose(tanks["17P"], "12.4", other_method="x")
    assert field_errors(exc) == {
        "tank": ["17P is not a sludge tank (IOPP 3.1); Code C 12 disposes of sludge."],
    }
    with pytest.raises(ValidationError) as exc:
        dispose(tanks["17S"], "12.2", to_tank=tanks["17S"])
    assert list(field_errors(exc)) == ["to_tank"]
    with pytest.raises(ValidationError) as exc:
        dispose(tanks["17S"], "12.3", hours=Decimal("1"), when=timezone.now() + timedelta(days=30))
    assert list(field_errors(exc)) == ["instant"]
    assert not SludgeDisposal.objects.exists()


def test_a_recorded_disposal_is_never_changed_or_deleted(tanks):
    disposal = dispose(tanks["17S"], "12.3", hours=Decimal("2"))
    disposal.quantity_m3 = Decimal("9")
    with pytest.raises(ValidationError):
        disposal.save()
    with pytest.raises(ValidationError, match="never deleted"):
        disposal.delete()
    with pytest.raises(ValidationError, match="never altered"):
        SludgeDisposal.objects.update(quantity_m3=Decimal("9"))
    assert SludgeDisposal.objects.get().quantity_m3 == Decimal("1.25")


def test_the_database_refuses_changing_a_disposal_with_entries(tanks):
    disposal = dispose(tanks["17S"], "12.3", hours=Decimal("2"))
    for sql in (
        "UPDATE soundings_sludgedisposal SET quantity_m3 = 9 WHERE id = %s",
        "DELETE FROM soundings_sludgedisposal WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="ORB append-only: a sludge disposal with ORB entries"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [disposal.pk])
    assert SludgeDisposal.objects.get().quantity_m3 == Decimal("1.25")


# --- Consistency warnings -------------------------------------------------------------------------


def warnings_now():
    from soundings.consistency import sludge_warnings

    return sludge_warnings()


def test_a_sludge_fall_without_a_disposal_warns_until_a_signed_12_x_explains_it(tanks, officer):
    tank = tanks["17S"]
    record_sounding(tank, feet=2, inches=0, when=at(2025, 3, 16, 10, 0))  # 950 gal = 3.60 m³
    record_sounding(tank, feet=2, inches=6, when=at(2025, 3, 23, 10, 0))  # a rise: no warning
    record_sounding(tank, feet=1, inches=6, when=at(2025, 3, 30, 10, 0))  # 619 gal = 2.34 m³
    [warning] = warnings_now()
    assert warning.tank == "17S" and warning.fall_m3 == warning.earlier_m3 - warning.later_m3
    assert warning.text.startswith(f"17S Dirty Oil Tank: the sludge fell by {warning.fall_m3} m³, from ")
    assert "on 23-MAR-2025 to 2.34 m³ on 30-MAR-2025, with no Code C 12 disposal entry in between;" in warning.text
    disposal = dispose(tank, "12.3", hours=Decimal("4"), when=at(2025, 3, 27, 9, 0))
    [waiting] = warnings_now()
    assert waiting.draft_waiting and "(a 12.x draft entry waits to be signed)" in waiting.text
    sign_all(disposal.entries.all(), officer)
    assert warnings_now() == []


def test_a_disposal_outside_the_interval_or_for_another_tank_explains_nothing(tanks, sparse_tank, officer):
    tank = tanks["17S"]
    record_sounding(tank, feet=2, inches=0, when=at(2025, 3, 16, 10, 0))
    record_sounding(tank, feet=1, inches=0, when=at(2025, 3, 23, 10, 0))
    sign_all(dispose(tank, "12.3", hours=Decimal("1"), when=at(2025, 3, 24, 9, 0)).entries.all(), officer)
    sign_all(dispose(sparse_tank, "12.3", hours=Decimal("1"), when=at(2025, 3, 20, 9, 0)).entries.all(), officer)
    assert [w.tank for w in warnings_now()] == ["17S"]


def test_a_re_sounding_replaces_the_misread_it_repeats(tanks):
    tank = tanks["17S"]
    record_sounding(tank, feet=1, inches=0, when=at(2025, 3, 9, 10, 0))
    record_sounding(tank, feet=2, inches=0, when=at(2025, 3, 16, 10, 0))  # misread
    record_sounding(tank, feet=1, inches=0, kind="re-sounding", when=at(2025, 3, 16, 11, 0))
    assert warnings_now() == []


def test_a_hand_written_12_x_entry_explains_a_fall(tanks, officer):
    tank = tanks["17S"]
    record_sounding(tank, feet=2, inches=0, when=at(2025, 3, 16, 10, 0))
    record_sounding(tank, feet=1, inches=0, when=at(2025, 3, 23, 10, 0))
    entry = OrbEntry(code="C", item="12.1", text="1.00 m³ sludge to shore", instant=at(2025, 3, 20, 9, 0))
    entry.save()
    sign_all([entry], officer)
    assert warnings_now() == []


def test_the_warnings_cost_the_same_queries_for_a_long_history(tanks):
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            found = warnings_now()
        return len(captured), len(found)

    tank = tanks["17S"]
    record_sounding(tank, feet=2, inches=0, when=at(2025, 3, 2, 10, 0))
    record_sounding(tank, feet=1, inches=0, when=at(2025, 3, 9, 10, 0))
    short = queries()
    for week in range(2, 12):  # a fall every other week, each one a warning with two ship dates
        record_sounding(tank, feet=2 - week % 2, inches=0, when=at(2025, 3, 2, 10, 0) + timedelta(weeks=week))
    long = queries()
    assert (short[1], long[1]) == (1, 6) and long[0] == short[0]


def test_bilge_tanks_never_warn(tanks):
    record_sounding(tanks["17P"], feet=2, inches=0, when=at(2025, 3, 16, 10, 0))
    record_sounding(tanks["17P"], feet=1, inches=0, when=at(2025, 3, 23, 10, 0))
    assert warnings_now() == [] and Tank.objects.get(designation="17P").orb_code == "I"


def test_the_warnings_template_shows_each_sentence_and_nothing_without_warnings(tanks):
    from django.template.loader import render_to_string

    assert render_to_string("soundings/sludge_warnings.html", {"warnings": []}).strip() == ""
    record_sounding(tanks["17S"], feet=2, inches=0, when=at(2025, 3, 16, 10, 0))
    record_sounding(tanks["17S"], feet=1, inches=0, when=at(2025, 3, 23, 10, 0))
    html = render_to_string("soundings/sludge_warnings.html", {"warnings": warnings_now()})
    assert html.count('<li class="warning">') == 1
    assert (
        "17S Dirty Oil Tank: the sludge fell by 2.38 m³, from 3.60 m³ on 16-MAR-2025 to 1.22 m³ on 23-MAR-2025" in html
    )
