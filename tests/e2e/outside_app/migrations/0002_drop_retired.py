"""Delete the retired parents and their children (the ORM deletes children first)."""
from django.db import migrations


def drop_retired(apps, schema_editor):
    Parent = apps.get_model("outside_app", "Parent")
    Parent.objects.using(schema_editor.connection.alias).filter(name__startswith="retired").delete()


class Migration(migrations.Migration):

    dependencies = [("outside_app", "0001_initial")]

    operations = [migrations.RunPython(drop_retired, migrations.RunPython.noop)]
