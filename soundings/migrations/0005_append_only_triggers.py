"""The append-only triggers (soundings.guards): the database refuses UPDATE and DELETE of signed
entries, reviews, page signatures, the audit trail and soundings with entries.

The post_migrate receiver in soundings.apps puts them back after every later migration (a SQLite
table rebuild drops them). Reversing drops them.
"""
from django.db import migrations


def install(apps, schema_editor):
    from soundings import guards

    guards.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from soundings import guards

    guards.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [("soundings", "0004_legacy_entries_signed")]

    operations = [migrations.RunPython(install, uninstall)]
