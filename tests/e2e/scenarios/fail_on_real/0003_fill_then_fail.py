from django.db import migrations, models

from tests.e2e.scenarios import steps  # noqa: F401


class Migration(migrations.Migration):
    dependencies = [("scenario", "0002_reading_comment")]
    operations = [
        migrations.RunPython(steps.fill_comment, steps.noop),
        migrations.RunPython(steps.fail_unless_rehearsal, steps.noop),
    ]
