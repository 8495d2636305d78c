"""Ship time: the UTC instant is what is stored; the ship's local time and date are shown.

The ship's offset from UTC changes along a voyage. Each change is a row of
orb.models.ShipTimeOffset with the instant it took effect; the offset at an instant is the
latest row that took effect at or before it. Before the first row (or with no rows) the offset
is settings.TIME_ZONE's at that instant (ORB_TIME_ZONE in the environment).

Dates in the book are written dd-MON-yyyy in English (16-MAR-2025), whatever the locale.
"""

from bisect import bisect_right
from datetime import timedelta
from datetime import timezone as fixed_timezone
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from orb.models import ShipTimeOffset

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _aware(instant):
    if timezone.is_naive(instant):
        raise ValueError(f"{instant!r} is a naive datetime; ship time needs an aware UTC instant.")
    return instant


def _offset(instant, minutes):
    if minutes is None:
        return instant.astimezone(ZoneInfo(settings.TIME_ZONE)).utcoffset()
    return timedelta(minutes=minutes)


def offset_at(instant):
    """The ship's offset from UTC (a timedelta) in effect at ``instant``."""
    _aware(instant)
    minutes = (
        ShipTimeOffset.objects.filter(effective_from__lte=instant)
        .order_by("-effective_from", "-id")
        .values_list("offset_minutes", flat=True)
        .first()
    )
    return _offset(instant, minutes)


class OffsetTable:
    """Every offset change read once, for the ship's dates of many instants without a query each.

    Same answer as offset_at() for every instant while no offset is added; for a page or a report
    that walks a tank's whole history (soundings.consistency).
    """

    def __init__(self):
        self._starts = self._minutes = None  # read at the first question, so an unused table costs nothing

    def _load(self):
        rows = ShipTimeOffset.objects.order_by("effective_from", "id").values_list("effective_from", "offset_minutes")
        self._starts = [start for start, _ in rows]
        self._minutes = [minutes for _, minutes in rows]

    def offset_at(self, instant):
        if self._starts is None:
            self._load()
        index = bisect_right(self._starts, _aware(instant))
        return _offset(instant, self._minutes[index - 1] if index else None)

    def ship_date(self, instant):
        return instant.astimezone(fixed_timezone(self.offset_at(instant))).date()


def ship_local(instant):
    """``instant`` as the ship's clocks showed it: an aware datetime with a fixed-offset tzinfo."""
    return _aware(instant).astimezone(fixed_timezone(offset_at(instant)))


def ship_date(instant):
    """The ship's local date at ``instant`` (the date an entry carries in the book)."""
    return ship_local(instant).date()


def format_ship_date(d):
    """A date as the book writes it: 16-MAR-2025."""
    return f"{d.day:02d}-{MONTHS[d.month - 1]}-{d.year:04d}"


def format_offset(offset):
    """UTC-06:00, UTC+05:30, UTC+00:00."""
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def format_ship_time(instant):
    """An instant in ship time as the book writes it: 16-MAR-2025 20:30 (UTC-06:00)."""
    local = ship_local(instant)
    return f"{format_ship_date(local)} {local:%H:%M} ({format_offset(local.utcoffset())})"


def check_not_in_future(instant, *, now=None, tolerance=timedelta(minutes=5)):
    """Refuse an operation time later than now (plus a little clock slack)."""
    now = now or timezone.now()
    if _aware(instant) > now + tolerance:
        raise ValidationError(
            f"The time {format_ship_time(instant)} lies in the future (ship time now {format_ship_time(now)}); "
            "enter the time the operation happened.",
            code="future",
        )
