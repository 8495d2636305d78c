"""RunPython steps shared by the scenario migrations."""
import os
import time


def on_rehearsal_copy(schema_editor):
    name = str(schema_editor.connection.settings_dict["NAME"])
    return ".rehearsal-" in name or "_orb_rehearsal_" in name  # SQLite copy / PostgreSQL scratch database


def fail_always(apps, schema_editor):
    raise RuntimeError("scenario step fails on purpose")


def fail_unless_rehearsal(apps, schema_editor):
    if not on_rehearsal_copy(schema_editor):
        raise RuntimeError("scenario step fails on the real database only")


def fail_per_env(apps, schema_editor):
    how = os.environ.get("ORB_SCENARIO_FAIL", "always")
    if how == "always" or (how == "real" and not on_rehearsal_copy(schema_editor)):
        raise RuntimeError(f"scenario step fails ({how})")


def fill_comment(apps, schema_editor):
    Reading = apps.get_model("scenario", "Reading")
    Reading.objects.filter(comment__isnull=True).update(comment="filled")


def bump_values(apps, schema_editor):
    Reading = apps.get_model("scenario", "Reading")
    for reading in Reading.objects.all():
        reading.value += 1
        reading.save(update_fields=["value"])


def sleep(apps, schema_editor):
    time.sleep(float(os.environ.get("ORB_SCENARIO_SLEEP", "5")))


def noop(apps, schema_editor):
    pass
