"""Roles for the legal record (issue 13), reversible:
- Master (new group): views the book (what the Viewer sees) and the ship time offsets; keeps
  the vessel particulars.
- Inspector (new group, a port State control officer's expiring account): views the whole
  book, the ship time offsets and the vessel particulars.
- Chief Engineer: adds, changes and views user profiles (ranks, account expiry), ship time
  offsets and the vessel particulars; deletes none of them.

The permissions are frozen here on purpose (see orb/roles.py): a later change is a new migration.
"""
from django.contrib.auth.management import create_permissions
from django.db import migrations

BOOK_VIEW = {
    "soundings": ["view_tank", "view_calibrationrow", "view_weeklysounding", "view_orbentry"],
    "fueltickets": ["view_servicetankpair", "view_dailyfuelticket", "view_hitchrecord", "view_fueltanksounding"],
}
NEW_GROUPS = {
    "Master": {**BOOK_VIEW, "orb": ["view_shiptimeoffset", "change_vesselparticulars", "view_vesselparticulars"]},
    "Inspector": {**BOOK_VIEW, "orb": ["view_shiptimeoffset", "view_vesselparticulars"]},
}
CHIEF = "Chief Engineer"
CHIEF_ORB = [f"{action}_{model}" for model in ("userprofile", "shiptimeoffset", "vesselparticulars")
             for action in ("add", "change", "view")]


def _permissions(apps, using, app_label, codenames):
    Permission = apps.get_model("auth", "Permission")
    found = list(Permission.objects.using(using).filter(content_type__app_label=app_label, codename__in=codenames))
    missing = set(codenames) - {p.codename for p in found}
    if missing:
        raise RuntimeError(f"Permissions missing for {app_label}: {sorted(missing)}")
    return found


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    for label in ("orb", "soundings", "fueltickets"):  # post_migrate has not created them yet
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for name, by_app in NEW_GROUPS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        for app_label, codenames in by_app.items():
            group.permissions.add(*_permissions(apps, using, app_label, codenames))
    chief, _ = Group.objects.using(using).get_or_create(name=CHIEF)
    chief.permissions.add(*_permissions(apps, using, "orb", CHIEF_ORB))


def revoke(apps, schema_editor):
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Group.objects.using(using).filter(name__in=list(NEW_GROUPS)).delete()
    chief = Group.objects.using(using).filter(name=CHIEF).first()
    if chief is not None:
        chief.permissions.remove(*Permission.objects.using(using).filter(
            content_type__app_label="orb", codename__in=CHIEF_ORB))


class Migration(migrations.Migration):
    dependencies = [
        ("orb", "0002_people_ship_time_vessel"),
        ("fueltickets", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
