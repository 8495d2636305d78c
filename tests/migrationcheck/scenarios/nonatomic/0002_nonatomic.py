from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("scenario", "0001_initial")]
    operations = [migrations.AddField("reading", "unit", models.CharField(max_length=10, null=True))]
