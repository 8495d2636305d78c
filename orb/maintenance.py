"""Maintenance mode: while a safe_migrate run holds its lock with maintenance on, every
request is answered 503 with a short page, so nothing writes during the migration.

The check is one failed ``open()`` when no run is active (SQLite: the lock file beside
the database), so it costs nothing measurable per request.  A lock left by a dead run
is ignored (its ``flock`` is free), and the site works again as soon as the run ends,
without a restart.
"""
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponse

from orb.safemigrate.lock import live_holder

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
    settings_dict = settings.DATABASES[alias]
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        name = str(settings_dict["NAME"])
        holder = live_holder(name + ".safe_migrate.lock")
        return bool(holder and holder.maintenance)
    if settings_dict["ENGINE"] == "django.db.backends.postgresql":
        from orb.safemigrate.backends.postgresql import advisory_lock_held

        return advisory_lock_held(connections[alias])
    return False


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
