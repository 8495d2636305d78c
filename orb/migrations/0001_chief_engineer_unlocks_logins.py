"""The Chief Engineer manages users, so he also unlocks a user that django-axes locked out
after too many failed logins: he sees the login attempts in the admin and deletes the
locked one.  Nobody else gets these permissions (reversible).

Role changes after fueltickets 0002_roles are migrations of this app (orb), which owns the
roles (orb/roles.py); each keeps its own frozen copy of the codenames it grants.
"""
from django.contrib.auth.management import create_permissions
from django.db import migrations

CHIEF = "Chief Engineer"
CODENAMES = ["view_accessattempt", "delete_accessattempt", "view_accessfailurelog", "view_accesslog"]


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("axes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(using).get_or_create(name=CHIEF)
    found = list(Permission.objects.using(using).filter(content_type__app_label="axes", codename__in=CODENAMES))
    missing = set(CODENAMES) - {p.codename for p in found}
    if missing:
        raise RuntimeError(f"Permissions missing for axes: {sorted(missing)}")
    group.permissions.add(*found)


def revoke(apps, schema_editor):
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.using(using).filter(name=CHIEF).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.using(using).filter(
            content_type__app_label="axes", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("fueltickets", "0002_roles"),  # creates the Chief Engineer group
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
