from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.AlterField("reading", "name", models.CharField(max_length=80)),
        migrations.AddField("reading", "unit", models.CharField(max_length=10, null=True)),
        migrations.AlterField("reading", "value", models.IntegerField(help_text="what the meter says")),
    ]
