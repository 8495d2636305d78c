"""A migration that changes a signed ORB entry (issue 13): it drops the append-only triggers on
the entries (they would refuse the UPDATE) and rewrites the text of signed entry 1.
safe_migrate's book check must fail it before COMMIT."""

from django.db import migrations


def rewrite(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'soundings_orbentry'")
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP TRIGGER "{name}"')
        cursor.execute("UPDATE soundings_orbentry SET text = text || ' (rewritten)' WHERE sequence = 1")


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial"), ("soundings", "0006_record_permissions")]
    operations = [migrations.RunPython(rewrite, migrations.RunPython.noop)]
