"""AlterField of a CharField's max_length: SQLite rebuilds the whole ticket table."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.AlterField("ticket", "engineer_name", models.CharField(max_length=120)),
    ]
