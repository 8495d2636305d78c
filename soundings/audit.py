"""The audit trail: one AuditEvent per create, sign, review, page signature, correction,
discard, and per refused attempt to change or delete a record (the model layer's refusal, a
permission denied in the admin).

A refusal is written in the caller's transaction: when the caller rolls that transaction back,
its audit row goes with it (the admin's refusals are written after its transaction ended).
A refusal by the database's triggers (raw SQL sent by this program) is written by
soundings.refusals once the caller's transaction is over; a refusal of another program's SQL
cannot be written, and the hash chain (soundings.chain) is the evidence for what happens there.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder

CREATE, SIGN, REVIEW, PAGE_SIGN, CORRECT, DISCARD, REFUSED_CHANGE, PERMISSION_DENIED = (
    "create",
    "sign",
    "review",
    "page-sign",
    "correct",
    "discard",
    "refused-change",
    "permission-denied",
)


def snapshot(obj):
    """The row's fields as JSON-safe values (dates and decimals as text)."""
    data = {field.attname: field.value_from_object(obj) for field in obj._meta.concrete_fields}
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _json(values):
    return "" if values is None else json.dumps(values, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False)


def _label(model):
    return model._meta.label_lower


def record(action, obj=None, *, user=None, model=None, object_id=None, old=None, new=None, note=""):
    from soundings.models import AuditEvent

    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditEvent.objects.create(
        action=action,
        user=user,
        username=user.get_username() if user is not None else "",
        model=_label(model or type(obj)),
        object_id=str(object_id if object_id is not None else getattr(obj, "pk", "") or ""),
        old=_json(old),
        new=_json(new),
        note=note,
    )


def refused(model, object_id, what, *, user=None):
    """The model layer refused to change or delete a protected row."""
    return record(
        REFUSED_CHANGE,
        model=model,
        object_id=object_id,
        user=user,
        note=f"refused: {what} of a protected {model._meta.verbose_name}",
    )


def permission_denied(request, model, object_id, what):
    """The admin refused a change or delete for want of permission."""
    return record(
        PERMISSION_DENIED,
        model=model,
        object_id=object_id,
        user=request.user,
        note=f"{request.method} {request.path}: {what} refused",
    )
