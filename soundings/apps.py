import atexit

from django.apps import AppConfig
from django.core.signals import request_finished
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate


def drop_cross_table_guards(sender, using="default", **kwargs):
    """Before a migration run, the triggers the database backend says would stop a table
    rebuild go (its rename would fail on them); reinstall_guards puts them back."""
    from django.db import connections

    from soundings import guards

    guards.drop_before_migrate(connections[using])


def reinstall_guards(sender, using="default", **kwargs):
    """Every migration run ends with the append-only triggers in place (soundings.guards):
    a table rebuild drops a table's triggers with the old table."""
    from django.db import connections

    from soundings import guards

    guards.reinstall_after_migrate(connections[using])


class SoundingsConfig(AppConfig):
    name = "soundings"
    verbose_name = "Tank soundings and Oil Record Book"

    def ready(self):
        pre_migrate.connect(drop_cross_table_guards, sender=self, dispatch_uid="soundings.drop_cross_table_guards")
        post_migrate.connect(reinstall_guards, sender=self, dispatch_uid="soundings.reinstall_guards")
        # The database's refusals of raw SQL go to the audit trail (soundings.refusals).
        from soundings import refusals

        connection_created.connect(refusals.watch, dispatch_uid="soundings.refusal_watch")
        request_finished.connect(refusals.flush_all, dispatch_uid="soundings.refusal_flush")
        atexit.register(refusals.flush_all)
