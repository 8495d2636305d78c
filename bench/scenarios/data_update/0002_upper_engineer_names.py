"""A data migration over every row: one UPDATE touching each ticket."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.RunSQL(
            "UPDATE scenario_ticket SET engineer_name = upper(engineer_name)",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
