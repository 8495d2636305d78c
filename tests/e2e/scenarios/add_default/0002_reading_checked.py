from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [migrations.AddField("reading", "checked", models.BooleanField(default=False))]
