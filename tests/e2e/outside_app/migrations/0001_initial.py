from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Parent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=50)),
            ],
        ),
        migrations.CreateModel(
            name="Child",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("label", models.CharField(max_length=50)),
                ("parent", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="outside_app.parent")),
            ],
        ),
        migrations.CreateModel(
            name="ParentProxy",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("outside_app.parent",),
        ),
        migrations.CreateModel(
            name="Legacy",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=50)),
            ],
            options={"db_table": "outside_legacy_view", "managed": False},
        ),
    ]
