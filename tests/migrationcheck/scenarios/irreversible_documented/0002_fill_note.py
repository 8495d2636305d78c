from django.db import migrations


def fill(apps, schema_editor):
    apps.get_model("scenario", "Reading").objects.filter(note__isnull=True).update(note="")


class Migration(migrations.Migration):
    irreversible_reason = "an empty note and no note mean the same; which rows had none is not worth keeping"
    dependencies = [("scenario", "0001_initial")]
    operations = [migrations.RunPython(fill)]
