"""Units and the Oil Record Book's number and date formats."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

# 1 US gallon = 231 cubic inches = 0.003785411784 m³ exactly.
GALLON_M3 = Decimal("0.003785411784")
TWO_PLACES = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def gallons_to_m3(gallons):
    """Exact conversion of US gallons to cubic metres (no rounding)."""
    return Decimal(gallons) * GALLON_M3


def round_m3(m3):
    """m³ to two decimals, half up, as written in the Oil Record Book."""
    return Decimal(m3).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def format_m3(m3):
    """'2.34' for 2.3431… m³."""
    return f"{round_m3(m3):.2f}"


def format_orb_date(day: date):
    """'16-MAR-2025': the date format of the Oil Record Book."""
    return f"{day.day:02d}-{MONTHS[day.month - 1]}-{day.year:04d}"


QUARTER_SIGNS = ("", "¼", "½", "¾")


def format_depth(*, feet, inches, quarters=0):
    """'1 ft 6 in'; with quarter inches '1 ft 6¼ in'."""
    return f"{feet} ft {inches}{QUARTER_SIGNS[quarters]} in"
