from django.db import migrations


def refuse_rows(apps, schema_editor):
    if apps.get_model("scenario", "Reading").objects.exists():
        raise ValueError("readings exist, nothing to undo them with")


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [migrations.RunPython(migrations.RunPython.noop, refuse_rows)]
