"""Volume from depth by linear interpolation in a tank's calibration table.

V = V1 + (u - u1) / (u2 - u1) * (V2 - V1), with u the depth in inches (a reading may add
quarter inches: u is then a Decimal such as 18.25). A depth outside the table is an error,
never a guess.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError

from soundings.units import format_depth


def depth_in_inches(*, feet, inches, quarters=0):
    """The depth in inches: an int for whole inches, a Decimal with quarter inches."""
    whole = int(feet) * 12 + int(inches)
    return whole + Decimal(int(quarters)) / 4 if quarters else whole


def _depth_text(total_inches):
    whole = int(total_inches)
    quarters = int((Decimal(total_inches) - whole) * 4)
    return format_depth(feet=whole // 12, inches=whole % 12, quarters=quarters)


def interpolate(*, table, depth, tank_label):
    """Gallons at `depth` inches; `table` is a list of (depth_inches, gallons) pairs.

    Raises ValidationError with one sentence when the table is empty or the depth
    lies outside it.
    """
    rows = sorted((Decimal(d), Decimal(g)) for d, g in table)
    if not rows:
        raise ValidationError(
            f"{tank_label} has no calibration table; load it with "
            "`manage.py load_sounding_tables` or add rows to the tank in the admin."
        )
    low_depth, high_depth = rows[0][0], rows[-1][0]
    if depth < low_depth or depth > high_depth:
        raise ValidationError(
            f"{tank_label}: {_depth_text(depth)} is beyond the calibration table "
            f"({_depth_text(low_depth)} to {_depth_text(high_depth)}); "
            "re-sound the tank or extend the table."
        )
    lower = max((r for r in rows if r[0] <= depth), key=lambda r: r[0])
    upper = min((r for r in rows if r[0] >= depth), key=lambda r: r[0])
    (u1, v1), (u2, v2) = lower, upper
    if u1 == u2:
        return v1
    return v1 + (Decimal(depth - u1) / Decimal(u2 - u1)) * (v2 - v1)
