from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from soundings.calibration import interpolate
from soundings.units import format_m3, format_orb_date, gallons_to_m3, round_m3

TABLE = [(0, 0), (12, 120), (24, 360)]


def test_exact_row_returns_row_volume():
    assert interpolate(table=TABLE, depth=12, tank_label="9S") == Decimal(120)


def test_between_rows_is_linear():
    # V = V1 + (u - u1)/(u2 - u1) * (V2 - V1) = 120 + 3/12 * 240
    assert interpolate(table=TABLE, depth=15, tank_label="9S") == Decimal(180)
    assert interpolate(table=TABLE, depth=6, tank_label="9S") == Decimal(60)


def test_non_terminating_fraction_stays_decimal():
    value = interpolate(table=[(0, 0), (3, 10)], depth=1, tank_label="T")
    assert isinstance(value, Decimal)
    assert value.quantize(Decimal("0.0001")) == Decimal("3.3333")


def test_table_order_does_not_matter():
    assert interpolate(table=list(reversed(TABLE)), depth=18, tank_label="9S") == Decimal(240)


def test_table_ends_are_inside_the_range():
    assert interpolate(table=TABLE, depth=0, tank_label="9S") == 0
    assert interpolate(table=TABLE, depth=24, tank_label="9S") == 360


def test_beyond_the_table_is_an_error():
    with pytest.raises(ValidationError) as exc:
        interpolate(table=TABLE, depth=25, tank_label="9S")
    assert exc.value.messages == [
        "9S: 2 ft 1 in is beyond the calibration table (0 ft 0 in to 2 ft 0 in); re-sound the tank or extend the table."
    ]


def test_below_the_table_is_an_error():
    with pytest.raises(ValidationError, match="is beyond the calibration table"):
        interpolate(table=[(6, 10), (12, 20)], depth=3, tank_label="9S")


def test_empty_table_is_an_error():
    with pytest.raises(ValidationError, match="9S has no calibration table"):
        interpolate(table=[], depth=3, tank_label="9S")


@pytest.mark.parametrize("gallons, m3", [(619, "2.34"), (1607, "6.08"), (1000, "3.79"), (0, "0.00")])
def test_gallons_to_m3_two_decimals(gallons, m3):
    assert format_m3(gallons_to_m3(gallons)) == m3


def test_conversion_factor_is_exact():
    assert gallons_to_m3(1000) == Decimal("3.785411784")


def test_round_half_up():
    assert round_m3(Decimal("2.345")) == Decimal("2.35")
    assert round_m3(Decimal("2.3449")) == Decimal("2.34")


def test_orb_date_format():
    from datetime import date

    assert format_orb_date(date(2025, 3, 16)) == "16-MAR-2025"
    assert format_orb_date(date(2025, 12, 1)) == "01-DEC-2025"
