"""``--prune``: remove the ``django_migrations`` rows of migrations whose files no longer exist.

After a squash is made a normal migration (its ``replaces`` removed and the old files deleted),
the rows of the deleted migrations stay in ``django_migrations``; the drift check refuses every
run while an applied migration has no file.  ``--prune`` removes those rows, as ``migrate
--prune`` does: it lists them first (and asks, unless ``--noinput``), takes the lock without
maintenance (only the migration records change, the app keeps working), a backup, deletes them
in one transaction, verifies and journals the run (mode ``prune-records``, ``pruned``).

As Django's, it refuses while a squashed migration still lists a row to prune in ``replaces``:
that squash counts as applied only through those rows.  Rows of apps no longer installed are
left alone (drift only warns about them).
"""

from django.apps import apps
from django.db import transaction
from django.db.migrations.recorder import MigrationRecorder

from .drift import key_name
from .errors import Refused


def records_to_prune(loader, *, app_label=None):
    """The applied migrations ("app.name") of installed apps (or of ``app_label``) whose file is gone."""
    installed = {config.label for config in apps.get_app_configs()}
    stale = sorted(
        key
        for key in set(loader.applied_migrations) - set(loader.disk_migrations)
        if key[0] in installed and app_label in (None, key[0])
    )
    blocking = sorted(key for key, squash in loader.replacements.items() if any(r in stale for r in squash.replaces))
    if blocking:
        raise Refused(
            f"The squashed migration {key_name(blocking[0])} still lists migrations to prune in its `replaces`, and "
            "counts as applied only through their rows; nothing was changed. Remove its `replaces` (and make "
            "migrations that depended on the replaced ones depend on it) first, then run --prune again."
        )
    return [key_name(key) for key in stale]


def question(names, label):
    listed = "\n".join(f"  {name}" for name in names)
    return f"Remove the records of these migrations, whose files no longer exist, from {label}:\n{listed}"


def require_listed(names, listed):
    """Under the lock, the rows must still be the ones listed to the operator (None: not asked)."""
    if listed is not None and names != listed:
        raise Refused(
            "The records to prune changed after you confirmed (another run?); nothing was changed. Run again."
        )


def delete_records(connection, names, *, report):
    """Delete the rows of ``names`` from django_migrations in one transaction."""
    recorder = MigrationRecorder(connection)
    with transaction.atomic(using=connection.alias):
        for name in names:
            app, migration = name.split(".", 1)
            recorder.record_unapplied(app, migration)
            report.note(f"Pruned {name}")


def state_line(names, backup_path):
    return (
        f"Database pruned: {len(names)} record(s) of deleted migration files removed from django_migrations "
        f"({', '.join(names)}); backup {backup_path}"
    )
