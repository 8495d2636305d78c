from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [
        ("soundings", "__latest__"),
        ("fueltickets", "__latest__"),
        ("orb", "__latest__"),
    ]
    operations = [
        migrations.CreateModel(
            name="Reading",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=50)),
                ("value", models.IntegerField()),
                ("note", models.CharField(max_length=100, null=True)),
            ],
        ),
    ]
