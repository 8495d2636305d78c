from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scenario", "0002_reading_comment")]
    operations = [migrations.AddField("reading", "flag", models.CharField(max_length=10, null=True))]
