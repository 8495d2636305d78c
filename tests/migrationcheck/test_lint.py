"""The rules' judgements in-process, on hand-made project states (no database, no subprocess)."""

from decimal import Decimal

from django.db import migrations, models
from django.db.migrations.state import ModelState, ProjectState

from orb.migrationcheck import rebuild, runpython
from orb.migrationcheck.lint import LintContext, lint_migration, narrowing
from soundings.models import Tank


def state():
    project = ProjectState()
    project.add_model(
        ModelState(
            "scenario",
            "Reading",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=50)),
                ("amount", models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(0))),
                ("tank", models.ForeignKey("scenario.Tank", on_delete=models.PROTECT)),
            ],
        )
    )
    project.add_model(ModelState("scenario", "Tank", [("id", models.BigAutoField(primary_key=True))]))
    return project


def rules_of(*operations, protected=None, large=None):
    migration = migrations.Migration("0002_change", "scenario")
    migration.operations = list(operations)
    context = LintContext(large_tables=large or {}, protected=protected or {})
    return sorted(
        (f.rule, f.detail) for f in lint_migration("scenario.0002_change", migration, state=state(), context=context)
    )


def test_narrowing_is_shorter_fewer_digits_or_another_type_but_not_a_widening():
    assert (
        narrowing(models.CharField(max_length=50), models.CharField(max_length=20))
        == "max_length shrinks from 50 to 20"
    )
    assert narrowing(models.CharField(max_length=50), models.TextField()) == ""
    assert narrowing(models.IntegerField(), models.BigIntegerField()) == ""
    assert narrowing(models.CharField(max_length=5), models.IntegerField()).startswith("the type changes")
    places = narrowing(
        models.DecimalField(max_digits=8, decimal_places=2), models.DecimalField(max_digits=8, decimal_places=1)
    )
    assert places == "decimal_places shrink from 2 to 1"
    digits = narrowing(
        models.DecimalField(max_digits=8, decimal_places=2), models.DecimalField(max_digits=6, decimal_places=2)
    )
    assert digits == "digits before the point shrink from 6 to 4"
    assert (
        narrowing(
            models.DecimalField(max_digits=8, decimal_places=2), models.DecimalField(max_digits=9, decimal_places=3)
        )
        == ""
    )


def test_which_operations_rebuild_a_table_on_the_embedded_engine():
    assert not rebuild.rebuilds(migrations.AddField("reading", "unit", models.CharField(max_length=5, null=True)))
    assert rebuild.rebuilds(migrations.AddField("reading", "level", models.IntegerField(default=0)))
    assert not rebuild.rebuilds(
        migrations.AlterField("reading", "name", models.CharField(max_length=50, help_text="shown in the admin")),
        old_field=models.CharField(max_length=50),
    )
    assert rebuild.rebuilds(
        migrations.AlterField("reading", "name", models.CharField(max_length=60)),
        old_field=models.CharField(max_length=50),
    )
    tank = models.ForeignKey("scenario.Tank", on_delete=models.PROTECT)
    assert rebuild.rebuilds(migrations.RenameField("reading", "tank", "vessel_tank"), old_field=tank)
    assert not rebuild.rebuilds(
        migrations.RenameField("reading", "name", "label"), old_field=models.CharField(max_length=50)
    )


def test_the_rebuild_estimate_uses_the_engines_disk_factor():
    text = rebuild.estimate(1024 * 1024 * 1024)
    assert "1.0 GB" in text and "3.0 GB of free disk (3 x the table)" in text and "about 24 s" in text


def test_orb104_only_for_a_table_known_to_be_large():
    widen = migrations.AlterField("reading", "name", models.CharField(max_length=80))
    assert rules_of(widen) == []
    [(rule, detail)] = rules_of(widen, large={"scenario_reading": 100 * 1024 * 1024})
    assert rule == "ORB104" and "100.0 MB" in detail and "300.0 MB of free disk" in detail


def test_orb107_a_protected_column_changed_in_the_database_not_a_label():
    protected = {"scenario_reading": ("name", "tank_id")}
    assert (
        rules_of(
            migrations.AlterField("reading", "name", models.CharField(max_length=50, verbose_name="Name")),
            protected=protected,
        )
        == []
    )
    assert rules_of(migrations.AlterField("reading", "name", models.CharField(max_length=60)), protected=protected) == [
        ("ORB107", "changes the protected column scenario_reading.name")
    ]
    assert rules_of(migrations.RemoveField("reading", "tank"), protected=protected) == [
        ("ORB102", "drops the column scenario_reading.tank_id and every value in it"),
        ("ORB107", "changes the protected column scenario_reading.tank_id"),
    ]
    assert rules_of(migrations.DeleteModel("Reading"), protected=protected)[-1] == (
        "ORB107",
        "changes the protected table scenario_reading",
    )


def test_orb103_not_for_a_model_created_in_the_same_migration():
    create = migrations.CreateModel("Fresh", [("id", models.BigAutoField(primary_key=True))])
    add = migrations.AddField("fresh", "count", models.IntegerField())
    assert rules_of(create, add) == []
    assert rules_of(migrations.AddField("reading", "count", models.IntegerField())) == [
        ("ORB103", "adds the NOT NULL column scenario_reading.count with no default")
    ]


def uses_the_model(apps, schema_editor):
    Tank.objects.count()


def uses_get_model(apps, schema_editor):
    apps.get_model("scenario", "Reading").objects.count()


def test_runpython_that_reaches_the_current_models():
    assert runpython.current_model_uses(uses_the_model) == ["Tank (soundings.models)"]
    assert runpython.current_model_uses(uses_get_model) == []
    assert runpython.current_model_uses(migrations.RunPython.noop) == []
