"""The audit fields come from one abstract base (orb.models), and the migration that moving them
there needed changes nothing in an existing database: no SQL, no SQLite table rebuild."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from fueltickets.models import DailyFuelTicket, HitchRecord, ServiceTankPair
from orb.models import CreatedAtModel, CreatedByModel
from soundings.models import OrbEntry, WeeklySounding

CREATED_BY = [WeeklySounding, OrbEntry, DailyFuelTicket]
CREATED_AT_ONLY = [ServiceTankPair, HitchRecord]
# Migrations that only change Django's model state (editable, help_text, ...): no SQL either way.
STATE_ONLY = [("soundings", "0002_orbentry_created_by_not_editable")]


def sql_statements(text):
    """The lines of a migration's SQL that are not comments."""
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("--")]


def test_every_record_keeps_who_and_when_the_same_way():
    reference = CreatedByModel._meta.get_field("created_by").deconstruct()[1:]
    for model in CREATED_BY:
        assert issubclass(model, CreatedByModel)
        assert model._meta.get_field("created_by").deconstruct()[1:] == reference, model
        assert not model._meta.get_field("created_by").editable
    for model in CREATED_AT_ONLY:
        assert issubclass(model, CreatedAtModel) and not issubclass(model, CreatedByModel)
        assert all(f.name != "created_by" for f in model._meta.get_fields())
    for model in CREATED_BY + CREATED_AT_ONLY:
        field = model._meta.get_field("created_at")
        assert field.auto_now_add and not field.editable


# SQLite's schema editor refuses to open inside the test's transaction, hence transaction=True
# (and serialized_rollback, so the groups the migrations created are back for later tests).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("app_label, name", STATE_ONLY)
@pytest.mark.parametrize("backwards", [False, True])
def test_state_only_migration_has_no_sql(app_label, name, backwards):
    """What `manage.py sqlmigrate` prints, on this test run's database engine."""
    loader = MigrationLoader(connection)
    migration = loader.get_migration(app_label, name)
    assert sql_statements("\n".join(loader.collect_sql([(migration, backwards)]))) == []


@pytest.mark.e2e
def test_safe_migrate_plans_no_sql_for_them_on_a_real_file(tmp_path):
    """An existing database (before these migrations) as safe_migrate's --plan sees it."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'orb.db'}",
        "DJANGO_SETTINGS_MODULE": "orb.settings",
        "DJANGO_DEBUG": "1",
    }

    def manage(*args):
        done = subprocess.run(
            [sys.executable, "manage.py", "safe_migrate", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    for app_label, name in STATE_ONLY:
        manage(app_label, _previous(app_label, name), "--noinput", "-v", "0")
    steps = {step["migration"]: step for step in json.loads(manage("--plan", "--json"))["steps"]}
    for app_label, name in STATE_ONLY:
        step = steps[f"{app_label}.{name}"]
        assert step["direction"] == "forwards" and not step["destructive"]
        assert sql_statements("\n".join(step["sql"])) == [], step["sql"]


def _previous(app_label, name):
    """The migration of the same app that `name` follows."""
    migration = MigrationLoader(None, ignore_no_migrations=True).get_migration(app_label, name)
    (parent,) = [dep for app, dep in migration.dependencies if app == app_label]
    return parent
