"""Engine-specific work behind one small interface (see ``base.Backend``)."""
from ..errors import UsageError


def backend_for(connection, *, backup_dir=None):
    if connection.vendor == "sqlite":
        from .sqlite import SQLiteBackend

        return SQLiteBackend(connection, backup_dir=backup_dir)
    if connection.vendor == "postgresql":
        from .postgresql import PostgreSQLBackend

        return PostgreSQLBackend(connection, backup_dir=backup_dir)
    raise UsageError(
        f"safe_migrate supports SQLite and PostgreSQL, not {connection.vendor}; "
        "use plain `manage.py migrate` with your own backup for this database."
    )
