from django.db import migrations


def fill(apps, schema_editor):
    Reading = apps.get_model("scenario", "Reading")
    Reading.objects.filter(unit__isnull=True).update(unit="m3")


def empty(apps, schema_editor):
    Reading = apps.get_model("scenario", "Reading")
    Reading.objects.update(unit=None)


class Migration(migrations.Migration):
    dependencies = [("scenario", "0002_add_unit")]
    operations = [migrations.RunPython(fill, empty)]
