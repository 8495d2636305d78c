"""Writing one mapped row: the model's own rules decide what is flagged, the database what is
refused.

``problems(obj)`` runs the model's validation (``full_clean``: field validators, ``clean()``
with the rules other parts of the project keep adding) and returns its messages: an old row
that breaks a rule is imported as recorded and flagged with them. ``refusals(obj)`` is what the
model's constraints say, which the database enforces too: such a row cannot be stored as
recorded and is skipped with the constraint's words. ``store`` writes the object in a
savepoint, so a refusal by the database skips that row alone.
"""

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction


def messages(error):
    """The messages of a ValidationError, each prefixed with its field when it has one."""
    if hasattr(error, "error_dict"):
        return [
            f"{name}: {message}" if name != "__all__" else message
            for name, errors in error.message_dict.items()
            for message in errors
        ]
    return list(error.messages)


def problems(obj, *, exclude=()):
    """The model's validation messages for ``obj`` (constraints left to ``refusals``)."""
    try:
        obj.full_clean(exclude=list(exclude), validate_constraints=False)
    except ValidationError as exc:
        return messages(exc)
    return []


def refusals(obj, *, exclude=()):
    """What the model's constraints (enforced by the database too) say about ``obj``."""
    try:
        obj.validate_constraints(exclude=list(exclude))
    except ValidationError as exc:
        return messages(exc)
    return []


def store(obj, row, *, made):
    """Insert ``obj`` as it is (``Model.save``: the models' own save() writes ORB entries or
    closes pairs, which the import does itself from the old rows). None when stored (and noted
    on ``row``), else why the database refused it (the constraint's own words when the model
    names it): the caller skips or flags the row with that. The constraints are asked only
    after a refusal, since asking costs a query per constraint and row."""
    try:
        with transaction.atomic():
            models.Model.save(obj, force_insert=True)
    except DatabaseError as exc:
        words = refusals(obj) or [f"the database refused it ({str(exc).strip() or exc.__class__.__name__})"]
        return "; ".join(words)
    row.add(obj)
    made[obj._meta.label_lower] += 1
    return None
