"""Drift refusal for an edited applied migration, and a real third-party app's migrations."""

import os
import shutil
from pathlib import Path

import pytest

from . import dbfacts
from .conftest import ROOT, assert_clean

pytestmark = pytest.mark.e2e


def copy_scenario(tmp_path, name):
    """A scenario package written out in full in a temporary directory (so a test may edit it)."""
    package = tmp_path / "pkgs" / f"copied_{name}"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    source = ROOT / "tests" / "e2e" / "scenarios"
    (package / "0001_initial.py").write_text((source / "initial.py").read_text())
    (package / "0002_reading_comment.py").write_text((source / "add_comment.py").read_text())
    return package


def test_an_edited_applied_migration_is_refused(project, tmp_path):
    package = copy_scenario(tmp_path, "drift")
    env = {"ORB_SCENARIO_MODULE": package.name, "PYTHONPATH": f"{ROOT}{os.pathsep}{package.parent}"}
    assert_clean(project.run("safe_migrate", "--noinput", **env), 0)
    migration = package / "0002_reading_comment.py"
    migration.write_text(migration.read_text().replace("max_length=100", "max_length=120"))
    before = project.hashes()

    result = project.run("safe_migrate", "--noinput", **env)
    last = assert_clean(result, 3)
    assert "scenario.0002_reading_comment was edited since it was applied" in result.stderr
    assert str(migration) in result.stderr
    assert last.startswith("Database unchanged")
    assert project.hashes() == before
    status = project.run("safe_migrate", "--status", **env)
    assert "Drift warning: scenario.0002_reading_comment was edited" in status.stdout

    migration.write_text((ROOT / "tests/e2e/scenarios/add_comment.py").read_text())
    assert_clean(project.run("safe_migrate", "--noinput", **env), 0)


def test_third_party_app_with_many_migrations_forwards_zero_and_rollback(empty_project):
    env = {"ORB_THIRD_PARTY": "1"}
    axes = {f for f in os.listdir(Path(__import__("axes").__file__).parent / "migrations") if f[:4].isdigit()}
    assert len(axes) >= 10

    first = empty_project.run("safe_migrate", "--noinput", **env)
    assert_clean(first, 0)
    assert {a for a in empty_project.applied() if a.startswith("axes.")} == {f"axes.{f[:-3]}" for f in axes}
    assert "axes_accessattempt" in dbfacts.schema(empty_project.db)

    # Unapplying axes also unapplies the project's migration that gave the Chief Engineer its
    # login permissions (orb.0001_chief_engineer_unlocks_logins depends on axes): revoking them
    # deletes rows, which needs --allow-data-loss.
    before = empty_project.hashes()
    refused = empty_project.run("safe_migrate", "axes", "zero", "--noinput", **env)
    assert_clean(refused, 3)
    # (and the Master and Inspector groups of the orb migration after it)
    assert "rows of auth_group" in refused.stderr and "would be deleted" in refused.stderr
    assert empty_project.hashes() == before
    zero = empty_project.run("safe_migrate", "axes", "zero", "--noinput", "--allow-data-loss", **env)
    assert_clean(zero, 0)
    assert not any(a.startswith("axes.") for a in empty_project.applied())
    assert "axes_accessattempt" not in dbfacts.schema(empty_project.db)
    # The newest run moved backwards: --rollback refuses to "undo" it.
    assert_clean(empty_project.run("safe_migrate", "--rollback", "--noinput", **env), 3)

    again = empty_project.run("safe_migrate", "--noinput", **env)
    assert_clean(again, 0)
    rolled = empty_project.run("safe_migrate", "--rollback", "--noinput", **env)
    assert_clean(rolled, 0)
    assert not any(a.startswith("axes.") for a in empty_project.applied())
    assert dbfacts.quick_check(empty_project.db) == "ok"
    shutil.rmtree(empty_project.dir, ignore_errors=True)
