"""Reading ``APP_LABEL [MIGRATION_NAME]`` into migration targets, as ``migrate`` does."""

from django.apps import apps
from django.db.migrations.loader import AmbiguityError

from .errors import UsageError


def resolve_targets(loader, *, app_label=None, migration_name=None):
    if migration_name and not app_label:
        raise UsageError("A migration name needs its app label first: safe_migrate APP_LABEL MIGRATION_NAME.")
    if app_label is None:
        return loader.graph.leaf_nodes()
    try:
        apps.get_app_config(app_label)
    except LookupError:
        raise UsageError(
            f"No installed app with label {app_label!r}; see `manage.py showmigrations` for the app labels."
        ) from None
    if app_label not in loader.migrated_apps:
        raise UsageError(f"App {app_label!r} does not have migrations; there is nothing to migrate for it.")
    if migration_name is None:
        return [key for key in loader.graph.leaf_nodes() if key[0] == app_label]
    if migration_name == "zero":
        return [(app_label, None)]
    try:
        migration = loader.get_migration_by_prefix(app_label, migration_name)
    except AmbiguityError:
        raise UsageError(
            f"More than one migration of {app_label!r} starts with {migration_name!r}; give more of its name."
        ) from None
    except KeyError:
        raise UsageError(
            f"App {app_label!r} has no migration {migration_name!r}; see `manage.py showmigrations {app_label}`."
        ) from None
    target = (app_label, migration.name)
    # A migration replaced by a squash that is fully applied is reached through the squash.
    if target not in loader.graph.nodes and target in loader.replacements:
        raise UsageError(f"{app_label}.{migration.name} was squashed; target the squashed migration instead.")
    return [target]
