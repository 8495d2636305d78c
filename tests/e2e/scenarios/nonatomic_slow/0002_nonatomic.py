from django.db import migrations, models

from tests.e2e.scenarios import steps


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.AddField("reading", "comment", models.CharField(max_length=100, null=True)),
        migrations.RunPython(steps.fill_comment, steps.noop),
    ]
