"""Engine-specific work behind one small interface (see ``base.Backend``).

Everything that names a database vendor lives in this package; the engine, the web app's
middleware, the settings and the commands ask through the functions here:

- ``backend_for(connection)``       the backend of a connection (a new object per run)
- ``cached_backend(alias)``         the same, kept per thread and alias (the middleware asks it
                                    on every request), or None for a database without one
- ``is_test_database(connection)``  whether a connection points at a test database
- ``configure_connection``          the ``connection_created`` receiver (per-vendor pragmas)
- ``prepare_database_settings``     vendor defaults applied by settings.py, at settings time
- ``open_embedded_file_read_only``  read another program's database file without writing it

This module must stay importable while the settings load: no ``django.db`` import at the
top, and the vendor modules are imported only when needed.
"""

import threading
from importlib import import_module

from ..errors import UsageError

# vendor (``connection.vendor``) -> (module, backend class)
VENDORS = {"sqlite": (".sqlite", "SQLiteBackend"), "postgresql": (".postgresql", "PostgreSQLBackend")}
# Django ENGINE setting -> vendor, for the settings-time defaults (no connection exists yet).
ENGINES = {"django.db.backends.sqlite3": "sqlite", "django.db.backends.postgresql": "postgresql"}


def backend_class(vendor):
    """The backend class of ``vendor``, or None when safe_migrate does not support it."""
    if vendor not in VENDORS:
        return None
    module, name = VENDORS[vendor]
    return getattr(import_module(module, __name__), name)


def backend_for(connection, *, backup_dir=None):
    cls = backend_class(connection.vendor)
    if cls is None:
        raise UsageError(
            f"safe_migrate supports SQLite and PostgreSQL, not {connection.vendor}; "
            "use plain `manage.py migrate` with your own backup for this database."
        )
    return cls(connection, backup_dir=backup_dir)


_cache = threading.local()


def cached_backend(alias):
    """The backend of ``connections[alias]``, built once per thread (a thread has its own
    connection object) and again only when the connection's database changes; None when the
    database has no backend (another vendor, an in-memory SQLite database)."""
    from django.db import connections

    connection = connections[alias]
    key = (id(connection), connection.vendor, str(connection.settings_dict.get("NAME")))
    entries = getattr(_cache, "entries", None)
    if entries is None:
        entries = _cache.entries = {}
    entry = entries.get(alias)
    if entry is None or entry[0] != key:
        try:
            backend = backend_for(connection)
        except UsageError:
            backend = None
        entry = entries[alias] = (key, backend)
    return entry[1]


def maintenance_active(alias):
    """True while a safe_migrate run holds database ``alias`` in maintenance (cheap: see
    ``Backend.maintenance_active``)."""
    backend = cached_backend(alias)
    return bool(backend is not None and backend.maintenance_active())


def is_test_database(connection):
    """True when ``connection`` points at a database Django's test machinery created (see
    ``Backend.is_test_database``); decided without opening it."""
    from .base import Backend

    return (backend_class(connection.vendor) or Backend).is_test_database(connection)


def configure_connection(sender, connection, **kwargs):
    """``connection_created`` receiver: the vendor's settings for every new connection."""
    cls = backend_class(connection.vendor)
    if cls is not None:
        cls.configure_connection(connection)


def connect_signals():
    """Connect ``configure_connection`` (called once, from the app's ``ready``)."""
    from django.db.backends.signals import connection_created

    connection_created.connect(configure_connection, dispatch_uid="orb.safemigrate.backends.configure_connection")


def open_embedded_file_read_only(path):
    """A DB-API connection that reads the embedded engine's database file at ``path`` read-only
    (``mode=ro``: never written, its bytes left as they are), whatever engine the project's own
    database uses: e.g. the Flask predecessor's file (orb.flask_import). Errors while reading
    are the connection's ``Error``; a file that cannot be opened raises ``OSError``."""
    from . import sqlite

    try:
        return sqlite.open_readonly(path)
    except sqlite.sqlite3.Error as exc:
        raise OSError(f"cannot open {path}: {exc}") from exc


def embedded_database_url(path):
    """The DATABASE_URL of the embedded default database, a file at ``path``."""
    return f"sqlite:///{path}"


def prepare_database_settings(database):
    """Apply the vendor's defaults to one ``DATABASES`` entry, at settings time (nothing is
    opened; no app registry needed)."""
    cls = backend_class(ENGINES.get(database.get("ENGINE")))
    if cls is not None:
        cls.prepare_settings(database)
