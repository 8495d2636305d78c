"""Reading the old file's values: SQLAlchemy wrote floats, ISO text and whatever a user typed.

Each reader turns one stored value into this project's type or raises ``BadValue`` with a
phrase saying what is wrong; the caller skips or flags the row with it, never guesses.

- NULL and empty (or blank) text are "no value" (None) for numbers, dates and times.
- Quantities were floats: 1606.9999999 is 1607.0 at the column's decimals (half up), read
  through ``repr`` so the float's shortest decimal form is what is rounded.
- Whole numbers (feet, inches, ids) may come as 3, 3.0 or "3"; 2.5 is refused, not rounded.
- Datetimes are ISO text with a ``T`` or a space, with or without seconds' fractions and a
  time zone ("Z", "+00:00"); one without a zone is read in settings.TIME_ZONE (the zone the old
  tool ran in, as this project's first ship time). A date may be written as a datetime.
"""

from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings


class BadValue(ValueError):
    """A stored value that cannot be read as its column's type (the message is a phrase)."""


def column(row, name, reader, **options):
    """``reader(row[name], **options)``; a BadValue names the column ("recorded_at: '…' is not …")."""
    try:
        return reader(row[name], **options)
    except BadValue as exc:
        raise BadValue(f"{name}: {exc}") from None


def is_empty(value):
    return value is None or (isinstance(value, str) and not value.strip())


def text(value):
    """Text as stored (None becomes ""); numbers stored in a text column become their text."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        raise BadValue("is binary data, not text")
    return value if isinstance(value, str) else str(value)


def decimal(value, *, places):
    """A Decimal at ``places`` decimals (half up), or None."""
    if is_empty(value):
        return None
    if isinstance(value, (bool, bytes)):
        raise BadValue(f"{value!r} is not a number")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise BadValue(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise BadValue(f"{value!r} is not a finite number")
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def integer(value):
    """A whole number, or None; a fraction is refused."""
    number = decimal(value, places=6)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise BadValue(f"{value!r} is not a whole number")
    return int(number)


def boolean(value):
    """SQLAlchemy's 0/1 (also "true"/"false", "yes"/"no"), or None."""
    if is_empty(value):
        return None
    words = {"1": True, "0": False, "true": True, "false": False, "yes": True, "no": False, "t": True, "f": False}
    key = str(int(value)) if isinstance(value, (int, float)) and value in (0, 1) else str(value).strip().lower()
    if key not in words:
        raise BadValue(f"{value!r} is not true or false")
    return words[key]


def _parse_iso(value):
    raw = text(value).strip()
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        pass
    try:
        return datetime.combine(date.fromisoformat(raw), time(0))
    except ValueError:
        raise BadValue(f"{raw!r} is not a date and time (ISO 8601)") from None


def instant(value):
    """An aware UTC datetime, or None; a value without a zone is in settings.TIME_ZONE."""
    if is_empty(value):
        return None
    parsed = _parse_iso(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return parsed.astimezone(UTC)


def day(value):
    """A date, or None; a datetime's date as written (its own zone, not converted)."""
    if is_empty(value):
        return None
    return _parse_iso(value).date()
