from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.AddField("reading", "unit", models.CharField(max_length=10, null=True)),
        migrations.AddField("reading", "remark", models.CharField(max_length=40, blank=True)),
        migrations.AlterField("reading", "name", models.CharField(max_length=80)),
    ]
