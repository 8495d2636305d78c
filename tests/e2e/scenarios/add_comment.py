from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [migrations.AddField("reading", "comment", models.CharField(max_length=100, null=True))]
