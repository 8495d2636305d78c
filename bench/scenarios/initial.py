"""0001 of every bench scenario: ``scenario_ticket``, shaped like the fuel tickets table."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [
        ("fueltickets", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = [
        migrations.CreateModel(
            name="Ticket",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("ticket_date", models.DateField()),
                ("meter_start", models.DecimalField(decimal_places=1, max_digits=8)),
                ("meter_end", models.DecimalField(decimal_places=1, max_digits=8)),
                ("consumption_gallons", models.DecimalField(decimal_places=1, max_digits=7)),
                ("engineer_name", models.CharField(max_length=100)),
                ("notes", models.TextField(blank=True)),
                ("created_at", models.DateTimeField()),
                ("service_tank_pair", models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                    to="fueltickets.servicetankpair")),
                ("created_by", models.ForeignKey(
                    null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                    to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "indexes": [models.Index(fields=["ticket_date", "consumption_gallons"],
                                         name="bench_ticket_date_consumption")],
            },
        ),
    ]
