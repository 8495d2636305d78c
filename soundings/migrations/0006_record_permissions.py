"""Who reads the record's new tables (issue 13): the Inspector and the Chief Engineer view the
audit trail, the page signatures and the entry reviews. Nobody gets add, change or delete on
them: the record writes them itself (soundings.record, soundings.audit) and never changes them.

Written without importing the orb app: each group is changed only if it exists (orb 0003
creates the Inspector; fueltickets 0002 the Chief Engineer). Frozen here; reversible.
"""
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ("Inspector", "Chief Engineer")
CODENAMES = ["view_auditevent", "view_pagesignature", "view_entryreview"]


def _permissions(apps, using):
    Permission = apps.get_model("auth", "Permission")
    return list(Permission.objects.using(using).filter(content_type__app_label="soundings", codename__in=CODENAMES))


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("soundings")  # post_migrate has not created them yet
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = None
    permissions = _permissions(apps, using)
    assert len(permissions) == len(CODENAMES), permissions
    for group in apps.get_model("auth", "Group").objects.using(using).filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    using = schema_editor.connection.alias
    permissions = _permissions(apps, using)
    for group in apps.get_model("auth", "Group").objects.using(using).filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):

    dependencies = [
        ("soundings", "0005_append_only_triggers"),
        ("orb", "0003_master_and_inspector"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
