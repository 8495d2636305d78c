"""Maintenance mode: while a safe_migrate run holds its lock with maintenance on, every
request is answered 503 with a short page, so nothing writes during the migration.

The backend answers (``Backend.maintenance_active``, kept per alias): one failed ``open()``
of the lock file or one query on the server's lock table, so it costs nothing measurable per
request.  A lock left by a dead run is ignored, and the site works again as soon as the run
ends, without a restart.  Wherever a backend keeps its lock, this page follows it.
"""

from django.db import DEFAULT_DB_ALIAS
from django.http import HttpResponse

from orb.safemigrate import backends

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ORB: maintenance</title>
<meta http-equiv="refresh" content="30">
<style>body{font-family:sans-serif;max-width:40em;margin:4em auto;color:#222}</style></head>
<body><h1>Database maintenance in progress</h1>
<p>The Oil Record Book database is being upgraded. Nothing you do now is lost, because
nothing can be saved until the upgrade has finished. This page reloads itself; please try
again in a minute.</p></body></html>
"""


def maintenance_active(alias=DEFAULT_DB_ALIAS):
    return backends.maintenance_active(alias)


class MaintenanceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if maintenance_active():
            response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
            response["Retry-After"] = "60"
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
