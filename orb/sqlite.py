"""Connection settings for the embedded SQLite database.

Every new SQLite connection gets WAL journaling (readers do not block the one
writer), a busy timeout (a second writer waits instead of failing at once) and
enforced foreign keys.  Django already turns foreign keys on for SQLite; the
pragma is repeated here so the rule is explicit and visible.
"""
from django.db.backends.signals import connection_created
from django.dispatch import receiver

BUSY_TIMEOUT_MS = 20_000


@receiver(connection_created)
def configure_sqlite(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    if name in (":memory:", "") or "mode=memory" in name or "mode=ro" in name:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
