from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.RunSQL(
            "CREATE INDEX scenario_reading_value_idx ON scenario_reading (value)",
            reverse_sql="SELECT 1",
        ),
    ]
