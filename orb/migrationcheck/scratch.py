"""Scratch databases for the round trip, and pointing the default connection at one.

The embedded engine is always checked, on a file in a temporary folder.  When the database
alias the command is given uses another engine (a PostgreSQL server configured by DATABASE_URL
or --database), a scratch database on that server is checked too, named
``<NAME>_orbcheck_<pid>`` and dropped afterwards.  Both are made and removed the way Django's
test runner makes its test databases (``creation._create_test_db`` / ``_destroy_test_db``), so no
SQL of any engine is written here; the name equals the connection's TEST NAME, so the project's
guards (plain ``migrate``, ``is_test_database``) see a test database.

While the round trip runs, the ``default`` alias points at the scratch database: the migration
executor, the signal handlers, the smoke checks' ORM calls and the row generator all use it.
"""

import copy
import os
from contextlib import contextmanager
from dataclasses import dataclass

import dj_database_url
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend

from orb.safemigrate import backends

MAX_NAME_BYTES = 63  # the longest database name the server keeps (longer ones are truncated)


@dataclass
class ScratchSpec:
    label: str  # words for the report, e.g. "SQLite (scratch file)"
    settings: dict


def embedded_spec(directory):
    settings = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    settings.update(dj_database_url.parse(backends.embedded_database_url(os.path.join(directory, "check.db"))))
    settings["OPTIONS"] = {}
    settings["TEST"] = {}
    backends.prepare_database_settings(settings)
    settings["TEST"] = test_settings(settings["NAME"])
    return settings


def test_settings(name):
    """A TEST entry naming the scratch database, with the keys Django's creation reads."""
    return {"CHARSET": None, "COLLATION": None, "MIGRATE": True, "MIRROR": None, "TEMPLATE": None, "NAME": name}


def is_embedded(settings):
    return settings["ENGINE"] == dj_database_url.parse(backends.embedded_database_url("/x.db"))["ENGINE"]


def server_spec(alias):
    """A scratch database beside the one ``alias`` names, on the same server."""
    settings = copy.deepcopy(connections[alias].settings_dict)
    suffix = f"_orbcheck_{os.getpid()}"
    base = str(settings["NAME"]).encode()[: MAX_NAME_BYTES - len(suffix)].decode(errors="ignore")
    settings["TEST"] = test_settings(base + suffix)
    return settings


def _wrapper(settings):
    return load_backend(settings["ENGINE"]).DatabaseWrapper(settings, alias=DEFAULT_DB_ALIAS)


@contextmanager
def scratch_database(settings):
    """Create the database named by settings["TEST"]["NAME"], yield settings pointing at it, drop it."""
    maker = _wrapper(copy.deepcopy(settings))
    name = maker.creation._create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    maker.close()
    settings = copy.deepcopy(settings)
    settings["NAME"] = name
    try:
        yield settings
    finally:
        dropper = _wrapper(copy.deepcopy(settings))
        try:
            dropper.creation._destroy_test_db(name, verbosity=0)
        finally:
            dropper.close()


@contextmanager
def default_pointed_at(settings):
    """Point the ``default`` alias (and so ``django.db.connection``) at ``settings``' database."""
    original = connections[DEFAULT_DB_ALIAS]
    wrapper = _wrapper(settings)
    connections[DEFAULT_DB_ALIAS] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        connections[DEFAULT_DB_ALIAS] = original


def server_label(alias):
    settings = connections[alias].settings_dict
    where = f"{settings.get('HOST') or 'localhost'}:{settings.get('PORT') or 'the default port'}"
    return f"{connections[alias].display_name} (a scratch database on {where})"
