"""Rows in every table before the round trip, so that every step meets data as on a ship.

First the project's smoke checks (orb/smoke.py) write what a day on board writes (a tank and its
calibration rows, a service tank pair, a hitch baseline, a fuel ticket, a weekly sounding and its
ORB entries, a user); here they are kept, not rolled back.  Then every table still empty gets
one row generated from its model's fields in the migration state (the first choice, a short text, 1, today, the first
row of a related table...).  A table no generated row fits (a check constraint, a clean-up rule)
stays empty and the report says so in a note: the round trip still runs.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone


class NotReady(Exception):
    """A foreign key's table has no row yet: try again after the other tables."""


def fill_every_table(state_apps):
    """Write rows on the default connection; returns notes (tables left empty, smoke failures).
    ``state_apps``: the models of the migration state (a table that only migrations create, as a
    test scenario's, has no model in the code)."""
    notes = []
    try:
        from orb import smoke

        with transaction.atomic():
            smoke._run([])  # the smoke checks' own steps, without the rollback run_smoke_checks() adds
    except Exception as exc:  # the round trip runs without them; the note says why
        notes.append(f"the smoke checks' rows could not be written ({type(exc).__name__}: {exc})")
    pending = [model for model in state_apps.get_models() if _has_table(model) and not model._base_manager.exists()]
    errors = {}
    while pending:
        left = [model for model in pending if not _try_row(model, errors)]
        if len(left) == len(pending):
            break
        pending = left
    for model in pending:
        notes.append(f"no row could be generated for {model._meta.db_table}: {errors.get(model, 'no reason')}")
    return notes


def _has_table(model):
    meta = model._meta
    return meta.managed and not meta.proxy and not meta.swapped


def _try_row(model, errors):
    try:
        instance = model(**{field.attname: value_for(field) for field in _fields(model)})
        with transaction.atomic():
            model._base_manager.bulk_create([instance])
        return True
    except NotReady as exc:
        errors[model] = str(exc)
    except (IntegrityError, DatabaseError, ValueError, TypeError) as exc:
        errors[model] = f"{type(exc).__name__}: {exc}"
    return False


def _fields(model):
    return [
        field
        for field in model._meta.concrete_fields
        if not isinstance(field, models.AutoField | models.BigAutoField | models.SmallAutoField) and not field.generated
    ]


def value_for(field):
    """A value that fits ``field``: its default, its first choice, or one of its type."""
    if field.has_default():
        return field.get_default()
    if field.choices:
        return next(value for value, _ in field.flatchoices if value not in (None, ""))
    if field.is_relation:
        row = field.related_model._base_manager.order_by("pk").first()
        if row is None:
            if field.null:
                return None
            raise NotReady(f"{field.related_model._meta.db_table} has no row for {field.name}")
        return getattr(row, field.target_field.attname)
    return _typed_value(field)


def _typed_value(field):
    kind = field.get_internal_type()
    now = timezone.now()
    values = {
        "BooleanField": False,
        "DateField": timezone.localdate(),
        "DateTimeField": now,
        "TimeField": now.time().replace(microsecond=0),
        "DurationField": timedelta(0),
        "UUIDField": uuid.uuid4(),
        "JSONField": {},
        "BinaryField": b"",
        "FloatField": 1.0,
        "EmailField": "check@example.org",
        "GenericIPAddressField": "127.0.0.1",
        "URLField": "https://example.org/",
    }
    if kind in values:
        return values[kind]
    if kind == "DecimalField":
        return Decimal(1) if field.max_digits - field.decimal_places >= 1 else Decimal(0)
    if "Integer" in kind:
        return 1
    text = f"check {uuid.uuid4().hex[:8]}"
    return text[: field.max_length] if field.max_length else text
