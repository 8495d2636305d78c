"""Dates typed into a form: ISO (2026-02-12), the book's own style (12-FEB-2026) or the date
picker, which writes ISO. Nothing else: "12/02/2026" is 12 February to some crews and
2 December to others, so a date written with slashes or dots is refused with a sentence that
says how it could be read and how to type it instead. Dates are shown dd-MON-yyyy elsewhere
(orb.shiptime.format_ship_date)."""

import re
from datetime import date

from django import forms
from django.contrib.admin.widgets import AdminDateWidget, AdminSplitDateTime
from django.core.exceptions import ValidationError

from orb.shiptime import format_ship_date

ISO = "%Y-%m-%d"
INPUT_FORMATS = [ISO, "%d-%b-%Y"]  # %b matches JAN, Jan or jan
NUMERIC = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})\s*$")


def _reading(*, day, month, year):
    try:
        return date(year, month, day)
    except ValueError:
        return None


def numeric_date_problem(text):
    """The sentence refusing a day/month/year typed as numbers, or None when it is not one."""
    match = NUMERIC.match(text or "")
    if not match:
        return None
    first, second, year = (int(g) for g in match.groups())
    if year < 100:
        year += 2000
    day_first = _reading(day=first, month=second, year=year)
    month_first = _reading(day=second, month=first, year=year)
    readings = [d for d in dict.fromkeys((day_first, month_first)) if d is not None]  # day first, then month first
    if len(readings) == 2:
        a, b = readings
        return (
            f"{text.strip()} could be read as {format_ship_date(a)} or {format_ship_date(b)}; type the date "
            f"as year-month-day ({a:%Y-%m-%d} or {b:%Y-%m-%d}) or pick it from the calendar."
        )
    example = f" ({readings[0]:%Y-%m-%d})" if readings else ""
    return (
        f"{text.strip()} is not a date style the book uses; type it as year-month-day{example} "
        "or pick it from the calendar."
    )


class ShipDateField(forms.DateField):
    """A date typed as ISO, as dd-MON-yyyy, or picked; numeric day/month orders refused."""

    widget = AdminDateWidget(format=ISO)

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", INPUT_FORMATS)
        kwargs.setdefault("help_text", "")
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            problem = numeric_date_problem(value)
            if problem:
                raise ValidationError(problem, code="ambiguous")
        try:
            return super().to_python(value)
        except ValidationError as exc:
            raise ValidationError(
                f"{value} is not a date; type it as year-month-day (e.g. 2026-02-12) or pick it from the calendar.",
                code="invalid",
            ) from exc


class ShipSplitDateTimeField(forms.SplitDateTimeField):
    """A date and a time: the date part is a ShipDateField."""

    widget = AdminSplitDateTime

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = (ShipDateField(required=self.required), self.fields[1])
