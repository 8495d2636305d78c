"""AlterField of a CharField's max_length: SQLite rebuilds the whole ticket table.

The gate step is a no-op unless a test sets ORB_TEST_GATE_DIR (the concurrent-writer test
holds the migration there to know it runs while the writer writes)."""
from django.db import migrations, models

from tests.e2e.scenarios import steps


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.RunPython(steps.gate, steps.noop),
        migrations.AlterField("ticket", "engineer_name", models.CharField(max_length=120)),
    ]
