"""Data for issue 14's engine-room operations, frozen here; reversible.

- Every tank's existing calibration rows become its table version 1 (no file hash: they were
  loaded before versions existed), and every existing sounding records version 1 of its tank:
  the volumes it stored were computed from those rows.
- Every existing tank gets its IOPP wording and capacity as the entries wrote them so far
  (designation and name; the gallons converted to m³, two decimals), so items 11.1 and 11.2 read
  the same until the Chief Engineer types the IOPP Supplement's own.
- The roles: the Engineer records sludge disposals (add, change, view), the Chief Engineer too,
  and keeps calibration table versions (add, change, delete, view); the Viewer, the Master and
  the Inspector view both. Nobody deletes a disposal. Each group is changed only if it exists.

Only columns added by 0007 are set on guarded rows (soundings.guards: GUARDED_COLUMNS).
"""
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.management import create_permissions
from django.db import migrations

GALLON_M3 = Decimal("0.003785411784")
GRANTS = {
    "Chief Engineer": [
        "add_sludgedisposal", "change_sludgedisposal", "view_sludgedisposal",
        "add_calibrationversion", "change_calibrationversion", "delete_calibrationversion",
        "view_calibrationversion",
    ],
    "Engineer": ["add_sludgedisposal", "change_sludgedisposal", "view_sludgedisposal", "view_calibrationversion"],
    "Viewer": ["view_sludgedisposal", "view_calibrationversion"],
    "Master": ["view_sludgedisposal", "view_calibrationversion"],
    "Inspector": ["view_sludgedisposal", "view_calibrationversion"],
}


def versions_and_iopp(apps, schema_editor):
    using = schema_editor.connection.alias
    Tank = apps.get_model("soundings", "Tank")
    CalibrationVersion = apps.get_model("soundings", "CalibrationVersion")
    CalibrationRow = apps.get_model("soundings", "CalibrationRow")
    WeeklySounding = apps.get_model("soundings", "WeeklySounding")
    for tank in Tank.objects.using(using).order_by("pk"):
        tank.iopp_wording = f"{tank.designation} {tank.name}"
        tank.iopp_capacity_m3 = (tank.capacity_gallons * GALLON_M3).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        tank.save(update_fields=["iopp_wording", "iopp_capacity_m3"])
        rows = CalibrationRow.objects.using(using).filter(tank=tank)
        soundings = WeeklySounding.objects.using(using).filter(tank=tank)
        if not rows.exists() and not soundings.exists():
            continue
        version = CalibrationVersion.objects.using(using).create(
            tank=tank, number=1, loaded_by_name="", source="rows loaded before table versions (migration 0008)"
        )
        rows.update(version=version)
        soundings.update(calibration_version=version)


def undo_versions_and_iopp(apps, schema_editor):
    using = schema_editor.connection.alias
    apps.get_model("soundings", "WeeklySounding").objects.using(using).update(calibration_version=None)
    apps.get_model("soundings", "CalibrationRow").objects.using(using).update(version=None)
    apps.get_model("soundings", "CalibrationVersion").objects.using(using).all().delete()
    apps.get_model("soundings", "Tank").objects.using(using).update(iopp_wording="", iopp_capacity_m3=None)


def _permissions(apps, using, codenames):
    Permission = apps.get_model("auth", "Permission")
    return list(Permission.objects.using(using).filter(content_type__app_label="soundings", codename__in=codenames))


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("soundings")  # post_migrate has not created them yet
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = None
    for group in apps.get_model("auth", "Group").objects.using(using).filter(name__in=GRANTS):
        permissions = _permissions(apps, using, GRANTS[group.name])
        assert len(permissions) == len(GRANTS[group.name]), permissions
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    using = schema_editor.connection.alias
    for group in apps.get_model("auth", "Group").objects.using(using).filter(name__in=GRANTS):
        group.permissions.remove(*_permissions(apps, using, GRANTS[group.name]))


class Migration(migrations.Migration):

    dependencies = [
        ("soundings", "0007_engine_room_operations"),
        ("soundings", "0006_record_permissions"),
        ("orb", "0003_master_and_inspector"),
    ]

    operations = [
        migrations.RunPython(versions_and_iopp, undo_versions_and_iopp),
        migrations.RunPython(grant, revoke),
    ]
