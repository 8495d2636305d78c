from django.db import migrations, models

from tests.e2e.scenarios import steps  # noqa: F401


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.AlterField("reading", "name", models.CharField(max_length=80)),
    ]
