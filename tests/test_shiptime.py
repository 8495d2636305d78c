from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from orb.models import ShipTimeOffset
from orb.shiptime import (
    OffsetTable,
    check_not_in_future,
    format_ship_date,
    format_ship_time,
    offset_at,
    ship_date,
    ship_local,
)
from tests.conftest import at


def test_an_evening_sounding_keeps_the_ship_date_not_the_utc_date(db):
    ShipTimeOffset.objects.create(effective_from=at(2025, 3, 1), offset_minutes=-360)
    instant = at(2025, 3, 17, 2, 30)  # 20:30 ship time on 16 March at UTC-6
    local = ship_local(instant)
    assert (local.day, local.hour, local.minute) == (16, 20, 30)
    assert local.utcoffset() == timedelta(hours=-6)
    assert local == instant
    assert ship_date(instant) == date(2025, 3, 16)
    assert format_ship_date(ship_date(instant)) == "16-MAR-2025"
    assert format_ship_time(instant) == "16-MAR-2025 20:30 (UTC-06:00)"


def test_the_offset_changes_mid_voyage(db):
    ShipTimeOffset.objects.create(effective_from=at(2025, 3, 1), offset_minutes=-360)
    ShipTimeOffset.objects.create(effective_from=at(2025, 3, 10, 8, 0), offset_minutes=-300)
    assert offset_at(at(2025, 3, 10, 7, 59)) == timedelta(hours=-6)
    assert offset_at(at(2025, 3, 10, 8, 0)) == timedelta(hours=-5)
    assert ship_date(at(2025, 3, 11, 4, 30)) == date(2025, 3, 10)  # 23:30 at UTC-5


def test_no_rows_means_the_settings_time_zone(db, settings):
    settings.TIME_ZONE = "America/Chicago"
    assert offset_at(at(2025, 1, 15)) == timedelta(hours=-6)
    assert offset_at(at(2025, 7, 15)) == timedelta(hours=-5)  # daylight saving time
    settings.TIME_ZONE = "UTC"
    assert ship_date(at(2025, 3, 17, 2, 30)) == date(2025, 3, 17)


def test_before_the_first_row_the_settings_time_zone_applies(db, settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    ShipTimeOffset.objects.create(effective_from=at(2025, 3, 1), offset_minutes=60)
    assert offset_at(at(2025, 2, 28)) == timedelta(hours=5, minutes=30)
    assert format_ship_time(at(2025, 2, 28)) == "28-FEB-2025 05:30 (UTC+05:30)"


@pytest.mark.parametrize(
    "d, text",
    [
        (date(2025, 1, 5), "05-JAN-2025"),
        (date(2024, 12, 31), "31-DEC-2024"),
        (date(2025, 9, 1), "01-SEP-2025"),
    ],
)
def test_dates_are_written_dd_mon_yyyy_in_english(d, text, settings):
    settings.LANGUAGE_CODE = "de"
    assert format_ship_date(d) == text


def test_a_naive_time_is_a_programming_error(db):
    with pytest.raises(ValueError):
        offset_at(datetime(2025, 3, 1))


def test_a_time_in_the_future_is_refused(db):
    ShipTimeOffset.objects.create(effective_from=at(2025, 3, 1), offset_minutes=-360)
    now = at(2025, 3, 16, 18, 0)
    check_not_in_future(now + timedelta(minutes=5), now=now)  # clock slack
    with pytest.raises(ValidationError) as error:
        check_not_in_future(now + timedelta(minutes=6), now=now)
    assert error.value.messages == [
        "The time 16-MAR-2025 12:06 (UTC-06:00) lies in the future (ship time now 16-MAR-2025 12:00 (UTC-06:00)); "
        "enter the time the operation happened."
    ]
    check_not_in_future(datetime(2025, 3, 16, 17, 0, tzinfo=UTC), now=now)


def test_the_offset_table_answers_as_offset_at_with_one_query(db, settings, django_assert_num_queries):
    settings.TIME_ZONE = "America/Chicago"
    ShipTimeOffset.objects.create(effective_from=at(2025, 3, 1), offset_minutes=-360)
    ShipTimeOffset.objects.create(effective_from=at(2025, 3, 10, 8, 0), offset_minutes=-300)
    ShipTimeOffset.objects.create(effective_from=at(2025, 6, 1), offset_minutes=330)
    instants = [at(2025, 1, 15), at(2025, 3, 1), at(2025, 3, 10, 7, 59), at(2025, 3, 10, 8, 0), at(2025, 5, 31, 23, 59)]
    instants += [at(2025, 6, 1), at(2026, 1, 1, 20, 0)]
    with django_assert_num_queries(1):
        clock = OffsetTable()
        table = [(clock.offset_at(i), clock.ship_date(i)) for i in instants]
    assert table == [(offset_at(i), ship_date(i)) for i in instants]
    assert table[0][0] == timedelta(hours=-6) and table[3][0] == timedelta(hours=-5)
    assert table[-1] == (timedelta(hours=5, minutes=30), date(2026, 1, 2))
