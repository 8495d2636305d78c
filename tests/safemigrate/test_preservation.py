"""Identities are followed through renames, so a rename is not counted as a drop."""

from django.db import migrations

from orb.safemigrate.plan import Plan, Step
from orb.safemigrate.preservation import follow_identities


def step(operations, *, backwards=False):
    migration = migrations.Migration("0002_x", "shop")
    migration.operations = operations
    return Step(migration=migration, backwards=backwards)


LAYOUT = {"shop_item": (("shop", "item"), {"id": "id", "note": "note"})}


def test_rename_field_then_model_forwards():
    plan = Plan(
        targets=[],
        steps=[step([migrations.RenameField("item", "note", "remark"), migrations.RenameModel("Item", "Article")])],
    )
    models, fields = follow_identities(LAYOUT, plan)
    assert models[("shop", "item")] == ("shop", "article")
    assert fields[(("shop", "item"), "note")] == (("shop", "article"), "remark")
    assert fields[(("shop", "item"), "id")] == (("shop", "article"), "id")


def test_backwards_undoes_renames_in_reverse_order():
    layout = {"shop_article": (("shop", "article"), {"id": "id", "remark": "remark"})}
    plan = Plan(
        targets=[],
        steps=[
            step(
                [migrations.RenameField("item", "note", "remark"), migrations.RenameModel("Item", "Article")],
                backwards=True,
            )
        ],
    )
    models, fields = follow_identities(layout, plan)
    assert models[("shop", "article")] == ("shop", "item")
    assert fields[(("shop", "article"), "remark")] == (("shop", "item"), "note")
