from django.db import migrations

from tests.e2e.scenarios import steps


class Migration(migrations.Migration):
    dependencies = [("scenario", "0002_nonatomic")]
    operations = [migrations.RunPython(steps.sleep, steps.noop)]
