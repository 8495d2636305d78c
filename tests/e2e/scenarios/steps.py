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


def gate(apps, schema_editor):
    """Hold the migration at a gate the test opens; a no-op unless ORB_TEST_GATE_DIR is set.

    On the database named by ORB_TEST_GATE_ON (``real``, the default, or ``rehearsal``), write
    ``<dir>/reached`` and wait until the test creates ``<dir>/release``; fail after
    ORB_TEST_GATE_TIMEOUT seconds (120) so a test that never releases cannot hang the run.
    On the other database the step passes at once.
    """
    directory = os.environ.get("ORB_TEST_GATE_DIR")
    if not directory:
        return
    where = os.environ.get("ORB_TEST_GATE_ON", "real")
    if on_rehearsal_copy(schema_editor) != (where == "rehearsal"):
        return
    reached = os.path.join(directory, "reached")
    with open(reached + ".tmp", "w") as handle:
        handle.write(f"{os.getpid()} {schema_editor.connection.settings_dict['NAME']}\n")
    os.replace(reached + ".tmp", reached)
    deadline = time.monotonic() + float(os.environ.get("ORB_TEST_GATE_TIMEOUT", "120"))
    while not os.path.exists(os.path.join(directory, "release")):
        if time.monotonic() > deadline:
            raise RuntimeError(f"scenario gate {directory} was never released")
        time.sleep(0.02)


def sleep(apps, schema_editor):
    """The slow step: waits at the gate when a test set one, else sleeps ORB_SCENARIO_SLEEP seconds."""
    if os.environ.get("ORB_TEST_GATE_DIR"):
        gate(apps, schema_editor)
    else:
        time.sleep(float(os.environ.get("ORB_SCENARIO_SLEEP", "5")))


def noop(apps, schema_editor):
    pass
