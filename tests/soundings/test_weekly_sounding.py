from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from soundings.models import CalibrationRow, OrbEntry, Tank, WeeklySounding
from tests.conftest import at, record_sounding, sign_all


def entries_of(sounding):
    return list(sounding.entries.order_by("id").values_list("entry_date", "code", "item", "text"))


def test_17p_one_foot_six_is_619_gallons(tanks):
    sounding = record_sounding(tanks["17P"], feet=1, inches=6)
    assert sounding.gallons == Decimal("619.00")
    assert sounding.m3 == Decimal("2.3432")
    assert sounding.m3_rounded == Decimal("2.34")


def test_full_tank_is_capacity(tanks):
    sounding = record_sounding(tanks["17S"], feet=3, inches=0)
    assert sounding.gallons == Decimal("1607.00")
    assert sounding.m3_rounded == Decimal("6.08")


def test_sparse_table_interpolates(sparse_tank):
    assert record_sounding(sparse_tank, feet=1, inches=3).gallons == Decimal("180.00")
    assert record_sounding(sparse_tank, feet=0, inches=1, kind="ad-hoc").gallons == Decimal("10.00")
    assert record_sounding(sparse_tank, feet=1, inches=1, kind="ad-hoc").gallons == Decimal("140.00")


def test_code_i_tank_writes_one_remark(tanks):
    sounding = record_sounding(tanks["17P"], feet=1, inches=6, when=at(2025, 3, 16, 10, 0))
    assert entries_of(sounding) == [
        (
            date(2025, 3, 16),
            "I",
            "",
            "Weekly inventory of bilge water holding tank(s) (IOPP 3.3): 17P Oily Water Tank, "
            "capacity 6.08 m³, 2.34 m³ retained.",
        )
    ]
    entry = sounding.entries.get()
    assert (entry.officer_name, entry.officer_rank) == ("J. Smith", "2nd Engineer")


def test_code_c_tank_writes_items_11_1_to_11_3(tanks):
    sounding = record_sounding(tanks["17S"], feet=1, inches=6, when=at(2025, 3, 16, 10, 0))
    assert entries_of(sounding) == [
        (date(2025, 3, 16), "C", "11.1", "17S Dirty Oil Tank"),
        (date(2025, 3, 16), "C", "11.2", "6.08 m³"),
        (date(2025, 3, 16), "C", "11.3", "2.34 m³"),
    ]


def test_manual_collection_adds_item_11_4(tanks):
    sounding = record_sounding(
        tanks["17S"], feet=1, inches=6, manual_collection_m3=Decimal("0.5"), manual_collection_source="purifier room"
    )
    assert entries_of(sounding)[-1][2:] == ("11.4", "0.50 m³ collected from purifier room")
    assert len(entries_of(sounding)) == 4


def test_manual_collection_on_bilge_tank_is_refused(tanks):
    with pytest.raises(ValidationError, match="applies to sludge tanks only; leave it empty for 17P"):
        record_sounding(tanks["17P"], feet=1, inches=6, manual_collection_m3=Decimal("0.5"))
    assert not WeeklySounding.objects.exists() and not OrbEntry.objects.exists()


def test_code_i_has_no_item_numbers_whatever_the_settings(tanks, settings):
    settings.ORB_CODE_I_ITEM_NUMBERS = True  # the predecessor's 34.x option is gone: ignored
    sounding = record_sounding(tanks["17P"], feet=1, inches=6)
    assert [e[2] for e in entries_of(sounding)] == [""]


@pytest.mark.parametrize(
    "feet, inches, message",
    [
        (1, 12, "Inches must be 0–11; write 12 inches as one more foot."),
        (1, -1, "Inches must be 0–11; a negative depth is not a sounding."),
        (-1, 0, "Feet cannot be negative."),
        (
            3,
            2,
            "17P: 3 ft 2 in is beyond the calibration table (0 ft 0 in to 3 ft 0 in); "
            "re-sound the tank or extend the table.",
        ),
    ],
)
def test_bad_readings_give_one_message_and_write_nothing(tanks, feet, inches, message):
    with pytest.raises(ValidationError) as exc:
        record_sounding(tanks["17P"], feet=feet, inches=inches)
    assert exc.value.messages == [message]
    assert not WeeklySounding.objects.exists()
    assert not OrbEntry.objects.exists()


def test_tank_without_table_is_refused(db):
    tank = Tank.objects.create(designation="X1", name="Empty", iopp_section="3.1", capacity_gallons=10)
    with pytest.raises(ValidationError, match="X1 has no calibration table"):
        record_sounding(tank, feet=0, inches=1)


def test_signed_entries_and_soundings_are_never_deleted(tanks, officer):
    sounding = record_sounding(tanks["17S"], feet=1, inches=0)
    entry = sign_all(sounding.entries.all(), officer)[0]
    with pytest.raises(ValidationError, match="never deleted"):
        entry.delete()
    with pytest.raises(ValidationError, match="never deleted"):
        OrbEntry.objects.all().delete()
    with pytest.raises(ValidationError, match="never deleted"):
        sounding.delete()
    with pytest.raises(ValidationError, match="never deleted"):
        WeeklySounding.objects.all().delete()
    with pytest.raises(ProtectedError):
        tanks["17S"].delete()
    assert OrbEntry.objects.count() == 3 and WeeklySounding.objects.count() == 1


def test_signed_entries_and_soundings_are_never_altered(tanks, officer):
    sounding = record_sounding(tanks["17S"], feet=1, inches=0)
    entry = sign_all(sounding.entries.all(), officer)[0]
    entry.text = "something else"
    with pytest.raises(ValidationError, match="never altered"):
        entry.save()
    with pytest.raises(ValidationError, match="never altered"):
        OrbEntry.objects.update(text="x")
    sounding.feet = 2
    with pytest.raises(ValidationError, match="cannot be changed"):
        sounding.save()
    assert OrbEntry.objects.get(pk=entry.pk).text == "17S Dirty Oil Tank"


def test_calibration_rows_protect_their_tank(sparse_tank):
    with pytest.raises(ProtectedError):
        sparse_tank.delete()


def test_duplicate_calibration_depth_is_refused(sparse_tank):
    row = CalibrationRow(tank=sparse_tank, feet=1, inches=0, gallons=5)
    with pytest.raises(ValidationError, match="already has a row for that depth"):
        row.full_clean()


def test_tank_orb_code_and_capacity(tanks):
    assert tanks["17P"].orb_code == "I" and tanks["17S"].orb_code == "C"
    assert tanks["17P"].capacity_m3 == Decimal("6.08")
