"""``/healthz``: is the ORB up, for a watchdog or a monitoring agent (docs/DEPLOYMENT.md).

200 ``{"status": "ok"}`` when the database answers and the book's hash chain verifies (the
same check safe_migrate runs before it commits, ``settings.ORB_BOOK_CHECK``); otherwise 503
``{"status": "unavailable", "reason": ...}`` with one of the reasons below.  No login, and
nothing from the record in the answer: not an entry, not a count, not a hash.

It is answered by ``HealthCheckMiddleware``, ahead of the maintenance and schema-guard
middlewares (their HTML 503 pages would hide which of them it is); it reports their states
itself, so a run of safe_migrate or a release that does not match the database is a 503 here too.
"""

import json

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponse, HttpResponseNotAllowed

from orb.maintenance import maintenance_active
from orb.safemigrate import checks
from orb.schema_guard import schema_mismatch

PATH = "healthz"  # the route in orb/urls.py, without its leading slash

# Reasons for a 503, each a state a monitoring agent can act on, never data.
MAINTENANCE = "maintenance: a safe_migrate run is in progress"
SCHEMA = "schema: the database does not match this release (see the home page)"
DATABASE = "database: not reachable or not readable"
BOOK = "book: the hash chain does not verify (run manage.py verify_orb)"


def problem(alias=DEFAULT_DB_ALIAS):
    """None when healthy, else the reason (one of the constants above)."""
    try:
        if maintenance_active(alias):
            return MAINTENANCE
        connections[alias].ensure_connection()
        if schema_mismatch(alias):
            return SCHEMA
        book = checks.book(connections[alias])
    except Exception:  # whatever the database says, the answer is the same short reason
        return DATABASE
    if book.state == "broken":
        return BOOK
    if book.state == "skipped":
        return DATABASE
    return None


def healthz(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    reason = problem()
    body = {"status": "ok"} if reason is None else {"status": "unavailable", "reason": reason}
    response = HttpResponse(json.dumps(body), status=200 if reason is None else 503, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers ``/healthz`` before the middlewares that replace every page with a 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/" + PATH:
            return healthz(request)
        return self.get_response(request)
