"""Who may correct a fuel ticket, and what its history keeps.

An Engineer corrects his own ticket for 24 hours after writing it; after that, and for anybody
else's ticket, only the Chief Engineer (or a superuser) may. Each change is written to the admin's
history (Django's LogEntry) as one readable line with every changed field's old and new value,
e.g. "Changed end (gal): 107,100.0 → 107,150.0; burned (gal): 900.0 → 950.0." A meter replaced
or reset writes its reason there too.
"""

from datetime import timedelta
from decimal import Decimal

from django.forms import ModelChoiceField
from django.utils import timezone

from fueltickets.quantities import format_gallons
from orb.roles import CHIEF_ENGINEER
from orb.shiptime import format_ship_date

OWN_CORRECTION_WINDOW = timedelta(hours=24)


def is_chief(user):
    return user.is_superuser or user.groups.filter(name=CHIEF_ENGINEER).exists()


def may_correct(user, ticket, *, now=None):
    """True when ``user`` may change ``ticket`` now (model permissions are checked by the admin)."""
    if is_chief(user):
        return True
    now = now or timezone.now()
    own = ticket.created_by_id is not None and ticket.created_by_id == user.pk
    return own and ticket.created_at is not None and now - ticket.created_at < OWN_CORRECTION_WINDOW


def _text(field, value):
    if value is None or value == "":
        return "(empty)"
    if isinstance(field, ModelChoiceField):
        obj = field.queryset.filter(pk=getattr(value, "pk", value)).first()
        return str(obj) if obj is not None else str(value)
    if isinstance(value, Decimal):
        return format_gallons(value, unit=False)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat") and not hasattr(value, "hour"):
        return format_ship_date(value)
    return str(value)


def _burned(values):
    start, end = values.get("meter_start"), values.get("meter_end")
    return None if start is None or end is None else Decimal(end) - Decimal(start)


def change_message(form, *, add):
    """The history line of a ticket saved through ``form``."""
    data = form.cleaned_data
    reset = f" Meter replaced or reset: {data.get('meter_reset_reason')}." if data.get("meter_reset") else ""
    if add:
        return f"Added.{reset}"
    changes = [
        f"{form.fields[name].label}: {_text(form.fields[name], form.initial.get(name))} → "
        f"{_text(form.fields[name], data.get(name))}"
        for name in form.changed_data
    ]
    old_burned, new_burned = _burned(form.initial), _burned(data)
    if old_burned is not None and new_burned is not None and old_burned != new_burned:
        changes.append(
            f"burned (gal): {format_gallons(old_burned, unit=False)} → {format_gallons(new_burned, unit=False)}"
        )
    if not changes:
        return "No fields changed."
    return "Changed " + "; ".join(changes) + "." + reset
