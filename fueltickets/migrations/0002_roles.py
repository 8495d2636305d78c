"""Groups Chief Engineer, Engineer and Viewer with their model permissions (reversible).

Permissions are normally created by post_migrate, which has not run yet inside a
migration run, so they are created here explicitly first. The role definitions are
frozen in this file on purpose: a later change of roles is a new migration.
"""
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_PERMISSIONS = {
    "Chief Engineer": {
        "soundings": [
            "add_tank", "change_tank", "delete_tank", "view_tank",
            "add_calibrationrow", "change_calibrationrow", "delete_calibrationrow", "view_calibrationrow",
            "add_weeklysounding", "change_weeklysounding", "view_weeklysounding",
            "add_orbentry", "change_orbentry", "view_orbentry",
        ],
        "fueltickets": [
            "add_servicetankpair", "change_servicetankpair", "delete_servicetankpair", "view_servicetankpair",
            "add_dailyfuelticket", "change_dailyfuelticket", "delete_dailyfuelticket", "view_dailyfuelticket",
            "add_hitchrecord", "change_hitchrecord", "delete_hitchrecord", "view_hitchrecord",
            "add_fueltanksounding", "change_fueltanksounding", "delete_fueltanksounding", "view_fueltanksounding",
        ],
    },
    "Engineer": {
        "soundings": [
            "view_tank", "view_calibrationrow",
            "add_weeklysounding", "change_weeklysounding", "view_weeklysounding",
            "view_orbentry",
        ],
        "fueltickets": [
            "view_servicetankpair",
            "add_dailyfuelticket", "change_dailyfuelticket", "view_dailyfuelticket",
            "view_hitchrecord", "view_fueltanksounding",
        ],
    },
    "Viewer": {
        "soundings": ["view_tank", "view_calibrationrow", "view_weeklysounding", "view_orbentry"],
        "fueltickets": [
            "view_servicetankpair", "view_dailyfuelticket", "view_hitchrecord", "view_fueltanksounding",
        ],
    },
}


def create_groups(apps, schema_editor):
    using = schema_editor.connection.alias
    for label in ("soundings", "fueltickets"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, by_app in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = []
        for app_label, codenames in by_app.items():
            found = list(
                Permission.objects.using(using).filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )
            missing = set(codenames) - {p.codename for p in found}
            if missing:
                raise RuntimeError(f"Permissions missing for {app_label}: {sorted(missing)}")
            wanted.extend(found)
        group.permissions.set(wanted)


def delete_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(
        name__in=list(GROUP_PERMISSIONS)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("soundings", "0001_initial"),
        ("fueltickets", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
