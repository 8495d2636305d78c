from django.db import migrations

from soundings.models import Tank


def count_tanks(apps, schema_editor):
    Tank.objects.count()


def count_tickets(apps, schema_editor):
    from fueltickets.models import DailyFuelTicket

    DailyFuelTicket.objects.count()


def fine(apps, schema_editor):
    apps.get_model("soundings", "Tank").objects.count()


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.RunPython(count_tanks, count_tickets),
        migrations.RunPython(fine, migrations.RunPython.noop),
    ]
