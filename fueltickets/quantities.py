"""Quantities as the engine room reads them: Decimal in, text with its unit out.

Gallons to one decimal with thousands separators (15,500.9 gal), m³ to two decimals (58.68 m³),
days to one decimal. Rounding is half up, as in the Oil Record Book (soundings.units). A value
that arrives as a float (SQLite's SUM of a decimal column) is turned into a Decimal through its
shortest text first, so no binary noise reaches the page.
"""

from decimal import ROUND_HALF_UP, Decimal

from soundings.units import gallons_to_m3, round_m3

ONE_PLACE = Decimal("0.1")


def as_decimal(value):
    """A Decimal for ``value`` (Decimal, int, float or numeric text); None stays None."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def tenth(value):
    """``value`` to one decimal, half up."""
    value = as_decimal(value)
    return None if value is None else value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def format_gallons(value, *, unit=True):
    """'15,500.9 gal' (or '15,500.9' without the unit); '—' for nothing."""
    value = tenth(value)
    if value is None:
        return "—"
    text = f"{value:,.1f}"
    return f"{text} gal" if unit else text


def format_m3(value, *, unit=True):
    """'58.68 m³' for a volume already in m³."""
    value = as_decimal(value)
    if value is None:
        return "—"
    text = f"{round_m3(value):,.2f}"
    return f"{text} m³" if unit else text


def format_gallons_as_m3(value, *, unit=True):
    """A volume in gallons written in m³: 1607 → '6.08 m³'."""
    value = as_decimal(value)
    return "—" if value is None else format_m3(gallons_to_m3(value), unit=unit)


def format_days(value):
    """'17.2' days."""
    value = tenth(value)
    return "—" if value is None else f"{value:,.1f}"
