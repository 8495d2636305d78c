"""Bunker deliveries (issue 15, fueltickets 0004), reversible:
- Chief Engineer and Engineer: add, change and view them (nobody deletes one: their Code H
  entries are in the book);
- Viewer, Master and Inspector: view them.

The permissions are frozen here on purpose (see orb/roles.py): a later change is a new migration.
"""
from django.contrib.auth.management import create_permissions
from django.db import migrations

WRITE = ["add_bunkerdelivery", "change_bunkerdelivery", "view_bunkerdelivery"]
VIEW = ["view_bunkerdelivery"]
GROUPS = {
    "Chief Engineer": WRITE,
    "Engineer": WRITE,
    "Viewer": VIEW,
    "Master": VIEW,
    "Inspector": VIEW,
}


def _permissions(apps, using, codenames):
    Permission = apps.get_model("auth", "Permission")
    found = list(
        Permission.objects.using(using).filter(content_type__app_label="fueltickets", codename__in=codenames)
    )
    missing = set(codenames) - {p.codename for p in found}
    if missing:
        raise RuntimeError(f"Permissions missing for fueltickets: {sorted(missing)}")
    return found


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("fueltickets")  # post_migrate has not created them yet
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.add(*_permissions(apps, using, codenames))


def revoke(apps, schema_editor):
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.using(using).filter(content_type__app_label="fueltickets", codename__in=WRITE)
    )
    for group in Group.objects.using(using).filter(name__in=list(GROUPS)):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("orb", "0004_vessel_alert_settings"),
        ("orb", "0003_master_and_inspector"),
        ("fueltickets", "0004_rules_and_bunker_deliveries"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
