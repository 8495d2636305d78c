"""A table rebuild: a CharField's max_length changes, which SQLite does by remaking the table."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.AlterField("ticket", "engineer_name", models.CharField(max_length=120)),
    ]
