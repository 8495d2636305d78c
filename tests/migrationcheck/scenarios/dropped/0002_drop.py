from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.RemoveField("reading", "note"),
        migrations.AlterField("reading", "name", models.CharField(max_length=20)),
        migrations.CreateModel(
            name="Retired",
            fields=[("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False))],
        ),
    ]
