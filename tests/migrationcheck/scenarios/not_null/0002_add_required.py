from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.AddField("reading", "count", models.IntegerField()),
        migrations.AddField("reading", "remark", models.CharField(max_length=40, blank=True)),
        migrations.AddField("reading", "level", models.IntegerField(default=0)),
        migrations.AlterField("reading", "note", models.CharField(max_length=100)),
    ]
