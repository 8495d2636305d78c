from django.db import migrations, models

from tests.e2e.scenarios import steps  # noqa: F401


class Migration(migrations.Migration):
    dependencies = [("scenario", "0002_nonatomic")]
    operations = [
        migrations.RunPython(steps.fail_per_env, steps.noop),
    ]
