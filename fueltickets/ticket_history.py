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


def _changes(form):
    """[(label, field, old, new)] of the form's model fields whose saved value differs from the one
    the form was opened with (the saved instance decides: an empty tank pair saved as the active one
    is the active one)."""
    instance, changes = form.instance, []
    for name, field in form.fields.items():
        if name not in form.initial:
            continue
        old = form.initial.get(name)
        new = instance._meta.get_field(name).value_from_object(instance)
        if (old or None) != (new or None) and str(old) != str(new):
            changes.append((field.label, field, old, new))
    return changes


def change_message(form, *, add):
    """The history line of a ticket saved through ``form``."""
    data = form.cleaned_data
    reset = f" Meter replaced or reset: {data.get('meter_reset_reason')}." if data.get("meter_reset") else ""
    if add:
        return f"Added.{reset}"
    changes = [f"{label}: {_text(field, old)} → {_text(field, new)}" for label, field, old, new in _changes(form)]
    start, end = form.initial.get("meter_start"), form.initial.get("meter_end")
    if start is not None and end is not None and Decimal(end) - Decimal(start) != form.instance.consumption_gallons:
        changes.append(
            f"burned (gal): {format_gallons(Decimal(end) - Decimal(start), unit=False)} → "
            f"{format_gallons(form.instance.consumption_gallons, unit=False)}"
        )
    if not changes:
        return "No fields changed."
    return "Changed " + "; ".join(changes) + "." + reset
