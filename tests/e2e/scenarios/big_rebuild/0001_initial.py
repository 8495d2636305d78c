"""The readings table plus a big ticket table (filled by tests/faults straight through sqlite3)."""
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
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
        migrations.CreateModel(
            name="Ticket",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("ticket_date", models.DateField()),
                ("consumption_gallons", models.DecimalField(max_digits=10, decimal_places=1)),
                ("engineer_name", models.CharField(max_length=100)),
                ("notes", models.TextField(blank=True)),
            ],
        ),
    ]
