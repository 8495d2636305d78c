"""Reading the Flask tool's stored values (orb.flask_import.values): no guessing."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from orb.flask_import import values


@pytest.mark.parametrize(
    ("stored", "places", "read"),
    [
        (1606.9999999, 1, Decimal("1607.0")),
        (1606.9999999, 2, Decimal("1607.00")),
        (0.1 + 0.2, 2, Decimal("0.30")),
        ("12 ", 1, Decimal("12.0")),
        (2.25, 1, Decimal("2.3")),  # half up, as the book rounds
        (None, 1, None),
        ("", 1, None),
        ("   ", 2, None),
    ],
)
def test_quantities_are_rounded_to_the_columns_decimals(stored, places, read):
    assert values.decimal(stored, places=places) == read


@pytest.mark.parametrize("stored", ["abc", "nan", "inf", b"\x00", True])
def test_what_is_not_a_number_is_refused(stored):
    with pytest.raises(values.BadValue):
        values.decimal(stored, places=1)


def test_whole_numbers_accept_3_0_and_refuse_fractions():
    assert values.integer(3.0) == 3 and values.integer("11") == 11 and values.integer(None) is None
    with pytest.raises(values.BadValue, match="not a whole number"):
        values.integer(2.5)


@pytest.mark.parametrize(
    "stored",
    [
        "2024-03-16 20:30:00",
        "2024-03-16T20:30:00",
        "2024-03-16 20:30:00.000000",
        "2024-03-16T20:30:00+00:00",
        "2024-03-16T20:30:00Z",
        "2024-03-16T14:30:00-06:00",
    ],
)
def test_datetimes_with_t_or_space_with_or_without_a_zone(stored, settings):
    settings.TIME_ZONE = "UTC"
    assert values.instant(stored) == datetime(2024, 3, 16, 20, 30, tzinfo=UTC)


def test_a_datetime_without_a_zone_is_read_in_the_ships_zone(settings):
    settings.TIME_ZONE = "America/Chicago"
    assert values.instant("2024-03-16 14:30:00") == datetime(2024, 3, 16, 19, 30, tzinfo=UTC)


def test_dates_as_written_also_when_stored_as_datetimes():
    assert values.day("2024-03-16") == date(2024, 3, 16)
    assert values.day("2024-03-16 00:00:00") == date(2024, 3, 16)
    assert values.day("2024-03-16T23:30:00-06:00") == date(2024, 3, 16)  # its own zone, not converted
    assert values.day("") is None
    with pytest.raises(values.BadValue):
        values.day("16/03/2024")


def test_text_and_booleans():
    assert values.text(None) == "" and values.text("  kept  ") == "  kept  " and values.text(13) == "13"
    assert values.boolean(1) is True and values.boolean("0") is False and values.boolean(None) is None
    with pytest.raises(values.BadValue):
        values.boolean("maybe")


def test_a_bad_value_names_its_column():
    with pytest.raises(values.BadValue, match=r"^recorded_at: '07/02/2022 8am' is not a date and time"):
        values.column({"recorded_at": "07/02/2022 8am"}, "recorded_at", values.instant)
    assert values.column({"meter_start": 1606.9999999}, "meter_start", values.decimal, places=1) == Decimal("1607.0")
