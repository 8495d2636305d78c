"""ALTER TABLE of the table whose rows 0002 deleted (same transaction under safe_migrate)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("outside_app", "0002_drop_retired")]

    operations = [
        migrations.AddField(model_name="parent", name="code", field=models.CharField(default="", max_length=10)),
    ]
