from django.db import migrations


def fill(apps, schema_editor):
    apps.get_model("scenario", "Reading").objects.filter(note__isnull=True).update(note="")


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.RunPython(fill),
        migrations.RunSQL("UPDATE scenario_reading SET value = value"),
    ]
