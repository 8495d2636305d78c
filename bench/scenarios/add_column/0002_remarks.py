"""Add a nullable column: SQLite does this with ALTER TABLE ADD COLUMN (no rewrite)."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.AddField("ticket", "remarks", models.CharField(max_length=200, null=True)),
    ]
