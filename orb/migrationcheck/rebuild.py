"""The table rebuild of the embedded database engine, judged from the migration alone (ORB104).

The embedded engine cannot change a column in place: Django copies the table into a new one and
drops the old (``_remake_table``).  Which operations do that is the backend's own rule, the one
safe_migrate's disk preflight uses (``Backend.rewrites``): Django adds a nullable column without a
default and renames a column without a foreign key in place, and an ``AlterField`` that changes
only what the database never sees (validators, choices, help text) touches nothing.

The estimate is the engine's: disk = the backend module's REWRITE_FACTOR (3) times the table, the
factor safe_migrate's disk preflight measured for a rebuild inside one transaction on a WAL
database; time from docs/PERFORMANCE.md, where plain ``migrate`` rebuilt a 1006 MB table in 23.5 s
on the project's 2-core machine.
"""

import inspect

import dj_database_url

from orb.safemigrate import backends
from orb.safemigrate.sizes import human_bytes

REBUILD_BYTES_PER_SECOND = 1006.2 * 1024 * 1024 / 23.53  # docs/PERFORMANCE.md, "1G rebuild", plain migrate


def embedded_backend_class():
    """The backend class of the embedded database engine (named by its URL, never here)."""
    engine = dj_database_url.parse(backends.embedded_database_url("/embedded.db"))["ENGINE"]
    return backends.backend_class(backends.ENGINES[engine])


def rewrite_factor():
    """Disk a rebuild needs, in multiples of the table: the engine's own constant."""
    return getattr(inspect.getmodule(embedded_backend_class()), "REWRITE_FACTOR", 3)


def rebuilds(operation, *, old_field=None):
    """True when the embedded engine rebuilds the table for ``operation`` (``old_field``: the
    field before an AlterField or RenameField, from the project state)."""
    return embedded_backend_class().rewrites(operation, old_field=old_field)


def estimate(size):
    """One phrase: the rebuild's time and disk for a table of ``size`` bytes."""
    seconds = size / REBUILD_BYTES_PER_SECOND
    factor = rewrite_factor()
    return (
        f"a rebuild of about {human_bytes(size)} takes about {seconds:.0f} s with the ship's app in maintenance "
        f"and needs {human_bytes(factor * size)} of free disk ({factor} x the table) besides the backup"
    )
