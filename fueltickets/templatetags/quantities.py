"""Template filters for quantities and dates: {% load quantities %}, then
``{{ x|gal }}`` (15,500.9 gal), ``{{ x|m3 }}`` (2.34 m³), ``{{ x|gal_m3 }}`` (gallons shown in m³),
``{{ x|days }}`` and ``{{ d|orbdate }}`` (16-MAR-2025)."""

from datetime import datetime

from django import template

from fueltickets import quantities
from orb.shiptime import format_ship_date, ship_date

register = template.Library()


@register.filter
def gal(value):
    return quantities.format_gallons(value)


@register.filter
def m3(value):
    return quantities.format_m3(value)


@register.filter
def gal_m3(value):
    return quantities.format_gallons_as_m3(value)


@register.filter
def days(value):
    return quantities.format_days(value)


@register.filter
def orbdate(value):
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        value = ship_date(value)  # an instant: the ship's local date
    return format_ship_date(value)
