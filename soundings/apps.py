from django.apps import AppConfig
from django.db.models.signals import post_migrate


def reinstall_guards(sender, using="default", **kwargs):
    """Every migration run ends with the append-only triggers in place (soundings.guards):
    a SQLite table rebuild drops a table's triggers with the old table."""
    from django.db import connections

    from soundings import guards

    guards.reinstall_after_migrate(connections[using])


class SoundingsConfig(AppConfig):
    name = "soundings"
    verbose_name = "Tank soundings and Oil Record Book"

    def ready(self):
        post_migrate.connect(reinstall_guards, sender=self, dispatch_uid="soundings.reinstall_guards")
