"""What a plan says about each step: direction, destructive, runs code, irreversible, SQL, tables rewritten."""

import pytest
from django.db import connection

from orb.safemigrate.backends.sqlite import SQLiteBackend
from orb.safemigrate.plan import build_plan, collect_sql, new_executor, rewritten_tables

from .inprocess import scenario

pytestmark = pytest.mark.django_db(transaction=True)


def plan_for(targets=None):
    executor = new_executor(connection)
    targets = targets or [key for key in executor.loader.graph.leaf_nodes() if key[0] == "scenario"]
    return executor, build_plan(executor, targets)


def test_a_forwards_plan_with_a_dropped_column(private_db):
    with scenario("remove_column"):
        executor, plan = plan_for()
        assert plan.names == ["scenario.0001_initial", "scenario.0002_remove_reading_note"]
        assert plan.direction == "forwards" and plan.atomic
        assert [step.destructive for step in plan.steps] == [False, True]
        collect_sql(executor, plan)
        assert any("CREATE TABLE" in sql for sql in plan.steps[0].sql)
        state = executor._create_project_state(with_applied_migrations=True)
        assert rewritten_tables(plan, state, rewrites=SQLiteBackend.rewrites) == []  # no table before the plan
        assert rewritten_tables(plan, state, rewrites=never) == []
        document = plan.to_json()
        assert document["steps"][1]["operations"][0] == {
            "description": "Remove field note from reading",
            "destructive": True,
            "runs_code": False,
            "reversible": True,
        }


def test_code_and_irreversible_steps_backwards(private_db):
    with scenario("irreversible"):
        executor, plan = plan_for()
        executor.migrate([key for key in executor.loader.graph.leaf_nodes() if key[0] == "scenario"])
        executor, backwards = plan_for([("scenario", None)])
    assert backwards.direction == "backwards"
    bump = backwards.steps[0]
    assert bump.name == "scenario.0002_bump_values"
    assert bump.operations[0].runs_code and bump.irreversible_operations
    assert backwards.steps[1].destructive  # undoing CreateModel drops the table


def test_no_steps_when_up_to_date(private_db):
    executor = new_executor(connection)
    plan = build_plan(executor, executor.loader.graph.leaf_nodes())
    assert plan.steps == [] and plan.direction == "none" and plan.to_json()["steps"] == []


def test_the_tables_a_plan_rewrites_are_the_backends_rule(private_db):
    """SQLite rebuilds a table for an AlterField; the disk preflight asks the backend which
    operations rewrite a table (the plan itself names no database engine)."""
    with scenario("rebuild"):
        executor, _ = plan_for([("scenario", "0001_initial")])
        executor.migrate([("scenario", "0001_initial")])
        executor, plan = plan_for()
        state = executor._create_project_state(with_applied_migrations=True)
        assert plan.names == ["scenario.0002_alter_reading_name"]
        assert rewritten_tables(plan, state, rewrites=SQLiteBackend.rewrites) == ["scenario_reading"]
        assert rewritten_tables(plan, state, rewrites=never) == []
        executor.migrate([("scenario", None)])


@pytest.mark.parametrize(("name", "rewritten"), [("add_column", []), ("add_default", ["scenario_reading"])])
def test_a_column_sqlite_adds_in_place_is_no_rewrite(private_db, name, rewritten):
    """A nullable column without a default is added with ALTER TABLE ADD COLUMN (nothing copied),
    so the disk preflight sizes no table for it; one with a default remakes the table."""
    with scenario(name):
        executor, _ = plan_for([("scenario", "0001_initial")])
        executor.migrate([("scenario", "0001_initial")])
        executor, plan = plan_for()
        state = executor._create_project_state(with_applied_migrations=True)
        assert len(plan.steps) == 1
        assert rewritten_tables(plan, state, rewrites=SQLiteBackend.rewrites) == rewritten
        executor.migrate([("scenario", None)])


def never(operation, *, old_field=None):
    return False
