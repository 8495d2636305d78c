"""The database's own refusals, written to the audit trail.

The append-only triggers (soundings.guards) refuse a statement with an integrity error whose
message starts ``ORB append-only``. Every statement this program sends through Django's
connections, the ORM's and raw SQL through ``connection.cursor()`` alike, passes through
``refusal_watch``, an execute wrapper put on each connection when it is made. A refused
statement becomes an AuditEvent (action ``refused-change``) naming the record, the statement
and the program that sent it.

The refused statement has spoiled the caller's transaction (PostgreSQL aborts it; on both
engines the caller's ``atomic`` block rolls back when the error propagates), so its audit row
cannot go there. It waits on the connection and is written in autocommit as soon as the
connection is outside any transaction: at once when the statement ran in autocommit, else before
the next statement that runs outside a transaction, at the end of the web request, or when the
program exits.

What this cannot record: a statement refused in a program that is not this one (the ``sqlite3``
or ``psql`` shell). The refusal leaves those rows as they were, and the hash chain
(soundings.chain, manage.py verify_orb) is the evidence for what is there.
"""

import logging
import sys

from django.db import DatabaseError, IntegrityError, connections

from soundings import audit

log = logging.getLogger(__name__)
MARK = "ORB append-only"
_PENDING = "_orb_refusals"
_FLUSHING = "_orb_refusals_flushing"
STATEMENT_CHARS = 300


def watch(sender, connection, **kwargs):
    """connection_created: put ``refusal_watch`` on the connection (once per connection object)."""
    if refusal_watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(refusal_watch)


def refusal_watch(execute, sql, params, many, context):
    connection = context["connection"]
    if getattr(connection, _PENDING, None) and not connection.in_atomic_block:
        flush(connection)
    try:
        return execute(sql, params, many, context)
    except IntegrityError as error:
        if MARK in str(error):
            _remember(connection, sql=sql, message=str(error))
            if not connection.in_atomic_block:
                flush(connection)
        raise


def _remember(connection, *, sql, message):
    pending = getattr(connection, _PENDING, None)
    if pending is None:
        pending = []
        setattr(connection, _PENDING, pending)
    pending.append((" ".join(str(sql).split())[:STATEMENT_CHARS], message.strip()))


def _program():
    return " ".join(sys.argv[:3]) or "python"


def _model_of(message):
    """The model whose guard gave ``message`` (None when no guard's message matches)."""
    from django.apps import apps

    from soundings.guards import GUARDS

    tables = [guard.table for guard in GUARDS if guard.message in message]
    for model in apps.get_models():
        if tables and model._meta.db_table == tables[0]:
            return model
    return None


def flush(connection):
    """Write the refusals waiting on ``connection`` (outside any transaction)."""
    pending = getattr(connection, _PENDING, None)
    if not pending or getattr(connection, _FLUSHING, False) or connection.in_atomic_block:
        return
    from soundings.models import AuditEvent

    setattr(connection, _PENDING, [])
    setattr(connection, _FLUSHING, True)
    try:
        for statement, message in pending:
            audit.record(
                audit.REFUSED_CHANGE,
                model=_model_of(message) or AuditEvent,
                object_id="",
                note=f"refused by the database: {message} Statement: {statement} (sent by {_program()})",
            )
    except DatabaseError as error:  # the refusal stood; only its audit row could not be written
        log.error("Could not write %d refused change(s) to the audit trail: %s", len(pending), error)
    finally:
        setattr(connection, _FLUSHING, False)


def flush_all(**kwargs):
    """request_finished and program exit: write what waits on this thread's connections."""
    for connection in connections.all(initialized_only=True):
        flush(connection)


def pending(connection):
    """The refusals waiting on ``connection`` to be written."""
    return getattr(connection, _PENDING, None) or []
