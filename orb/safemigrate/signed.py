"""What a ``--restore`` would take out of the record: entries signed since the backup was taken.

The project names, in ``settings.ORB_BOOK_SIGNED_ENTRIES``, a function of a database alias that
returns ``{key: description}`` of the signed entries in that database (the engine never names an
app). The live database is read through ``backend.read_only()``, the backup through
``backend.reading_backup(path)`` (not a byte of the file changes; a backend whose backups are
dumps restores one into a scratch database to read it). A backend that cannot read a backup at
all says so, and the comparison is skipped with a note.
"""

from django.conf import settings
from django.db import DatabaseError
from django.utils.module_loading import import_string


def missing_from_backup(backend, path, report):
    """Descriptions of the signed entries in the live database that the backup at ``path`` lacks."""
    hook = getattr(settings, "ORB_BOOK_SIGNED_ENTRIES", None)
    if not hook:
        return []
    signed = import_string(hook)
    alias = backend.connection.alias
    try:
        with backend.read_only():
            live = signed(alias)
    except DatabaseError as exc:
        report.note(f"Signed entries not compared: the database's cannot be read ({exc.__class__.__name__}: {exc}).")
        return []
    if not live:
        return []
    with backend.reading_backup(path) as readable:
        if not readable:
            report.note(
                f"Signed entries not compared with the backup: {backend.label}'s backups cannot be read "
                "in place; check with verify_orb after the restore."
            )
            return []
        try:
            in_backup = signed(alias)
        except DatabaseError:
            in_backup = {}  # the backup is older than the signed entries' table or columns: it holds none
    return [live[key] for key in sorted(set(live) - set(in_backup))]
