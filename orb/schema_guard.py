"""Schema guard: while the database's migrations and this release's code disagree, every
request is answered 503 with the one thing to do, instead of a 500 ("no such column …").

Behind: migrations of the code are not applied (e.g. right after ``safe_migrate --rollback``,
before the previous release is deployed again) → run ``python manage.py safe_migrate``.
Ahead: the database holds migrations this code does not know (an older release deployed on
a newer database) → deploy the release that matches, or roll back from that release.

The comparison is Django's own: ``MigrationExecutor.migration_plan`` to the graph's leaf
nodes, and the applied migrations (``django_migrations``) of migrated apps that are not in
the graph.  It is made once per process and again only when safe_migrate's journal or lock
file changes (every applying run appends to the journal and removes its lock), so a request
costs two ``stat()`` calls; after a run the same process answers normally, without a restart.
Migrations applied by plain ``migrate`` (refused unless ORB_ALLOW_PLAIN_MIGRATE=1) write no
journal: restart the web app after such a run.
"""

import os
import threading
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from django.utils.html import escape

from orb.safemigrate.backends import backend_for
from orb.safemigrate.errors import UsageError

UPGRADE_COMMAND = "python manage.py safe_migrate"
ROLLBACK_COMMAND = "python manage.py safe_migrate --rollback"
LISTED = 10  # migrations named on the page; more are counted


@dataclass(frozen=True)
class Mismatch:
    kind: str  # "behind" (pending migrations) or "ahead" (applied migrations unknown to the code)
    migrations: tuple

    @property
    def command(self):
        return UPGRADE_COMMAND if self.kind == "behind" else ROLLBACK_COMMAND

    def sentence(self):
        count = len(self.migrations)
        noun = "migration" if count == 1 else "migrations"
        if self.kind == "behind":
            return (
                f"The database is behind this release of ORB ({count} {noun} not applied): run "
                f"`{UPGRADE_COMMAND}`, or, if the database was just rolled back, deploy the "
                "previous release of ORB again."
            )
        return (
            f"The database is ahead of this release of ORB ({count} applied {noun} this code does "
            "not know): deploy the release of ORB that matches the database, or roll the database "
            f"back with `{ROLLBACK_COMMAND}` run from that newer release."
        )


def compare(connection):
    """The Mismatch between ``connection``'s database and the code's migrations, or None."""
    executor = MigrationExecutor(connection)
    loader = executor.loader
    known = set(loader.graph.nodes) | set(loader.replacements)
    replaced = {key for squash in loader.replacements.values() for key in squash.replaces}
    unknown = sorted(
        f"{app}.{name}"
        for app, name in loader.applied_migrations
        # Apps no longer installed are left alone (safe_migrate warns about them).
        if app in loader.migrated_apps and (app, name) not in known | replaced
    )
    if unknown:
        return Mismatch("ahead", tuple(unknown))
    plan = executor.migration_plan(loader.graph.leaf_nodes())
    pending = [(migration.app_label, migration.name) for migration, backwards in plan if not backwards]
    # The plan stops at an applied leaf, so a gap below it (history applied out of order, a
    # row deleted by hand) is not in it; every node of the graph must be applied.
    pending += sorted(key for key in loader.graph.nodes if key not in loader.applied_migrations and key not in pending)
    return Mismatch("behind", tuple(f"{app}.{name}" for app, name in pending)) if pending else None


def state_files(connection):
    """safe_migrate's journal and lock paths of this database ((), if it has none)."""
    try:
        backend = backend_for(connection)
    except UsageError:  # a database without a backend (in memory, another engine): check once per process
        return ()
    return (backend.journal_path, backend.lock_path)


def stamp(paths):
    """What changes when a run starts or ends: each file's (inode, mtime, size), or None."""
    marks = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            marks.append(None)
        else:
            marks.append((info.st_ino, info.st_mtime_ns, info.st_size))
    return tuple(marks)


class _Memo:
    """The last comparison per database, with the stamp of the state files it was made under."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries = {}

    def forget(self):
        with self.lock:
            self.entries.clear()


memo = _Memo()


def schema_mismatch(alias=DEFAULT_DB_ALIAS):
    """The Mismatch of database ``alias``, compared again only after a safe_migrate run."""
    connection = connections[alias]
    key = (alias, str(connection.settings_dict["NAME"]))
    # The stamp is read before comparing: a run ending meanwhile changes it, so the next
    # request compares again instead of trusting a result from before the run.
    current = stamp(state_files(connection))
    entry = memo.entries.get(key)
    if entry and entry[0] == current:
        return entry[1]
    with memo.lock:
        entry = memo.entries.get(key)
        if entry and entry[0] == current:
            return entry[1]
        try:
            result = compare(connection)
        except Exception:
            # The database cannot answer (unreachable, being restored): not a mismatch we
            # can name; the request proceeds and fails as it would have, and the next asks again.
            return None
        memo.entries[key] = (current, result)
        return result


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ORB: database and code do not match</title>
<style>body{{font-family:sans-serif;max-width:44em;margin:4em auto;color:#222}}
pre{{background:#f3f3f3;padding:.6em 1em}}</style></head>
<body><h1>The database does not match this release of ORB</h1>
<p>{sentence}</p>
<p>On the server, in the project folder:</p>
<pre>{command}</pre>
<p>Nothing can be saved until then, so nothing you do now is lost.</p>
<p>{kind_list}</p>
<ul>{items}</ul>
</body></html>
"""


def page(mismatch):
    names = mismatch.migrations[:LISTED]
    more = len(mismatch.migrations) - len(names)
    items = "".join(f"<li>{escape(name)}</li>" for name in names)
    if more:
        items += f"<li>and {more} more</li>"
    kind_list = (
        "Migrations of this release not applied to the database:"
        if mismatch.kind == "behind"
        else "Migrations applied to the database that this release does not have:"
    )
    return PAGE.format(
        sentence=escape(mismatch.sentence()), command=escape(mismatch.command), kind_list=kind_list, items=items
    )


class SchemaGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        mismatch = schema_mismatch()
        if mismatch:
            response = HttpResponse(page(mismatch), status=503, content_type="text/html; charset=utf-8")
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
