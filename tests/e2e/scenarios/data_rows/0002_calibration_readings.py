"""A data migration that adds rows to a table that already holds rows, and whose reverse code
deletes them again (like a migration granting permissions to a group): undoing it is no loss."""
from django.db import migrations

NAMES = ["calibration-a", "calibration-b", "calibration-c"]


def add(apps, schema_editor):
    Reading = apps.get_model("scenario", "Reading")
    Reading.objects.using(schema_editor.connection.alias).bulk_create(
        [Reading(name=name, value=0, note="added by 0002") for name in NAMES])


def remove(apps, schema_editor):
    Reading = apps.get_model("scenario", "Reading")
    # Every calibration row, also one written by hand since the migration ran.
    Reading.objects.using(schema_editor.connection.alias).filter(name__startswith="calibration-").delete()


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
