"""safe_migrate leaves what plain ``migrate`` leaves, with a third-party-like app installed (issue 11).

The app (tests/e2e/outside_app) is copied into a temporary directory on PYTHONPATH with a
``.dist-info`` beside it, so it is an installed package outside the project, as one from
pip would be.  Every test runs plain ``migrate`` on a copy of the same database and compares
schema, django_migrations and rows with what safe_migrate left.
"""

import os
import re
import shutil
import sqlite3

import pytest

from . import dbfacts
from .conftest import ROOT, Project, assert_clean

pytestmark = pytest.mark.e2e

APP = "outside_app"
SOURCE = ROOT / "tests" / "e2e" / APP
# Columns that hold the time of the run, not data.
TIMES = {"applied", "date_joined", "last_login"}


def install_outside_app(tmp_path, *, version="1.0"):
    """Copy the app into ``tmp_path/site`` (outside the project) with a distribution record."""
    site = tmp_path / "site"
    shutil.copytree(SOURCE, site / APP, ignore=shutil.ignore_patterns("__pycache__"))
    if version is not None:
        set_version(site, version)
    return site


def set_version(site, version):
    for old in site.glob("outside_app-*.dist-info"):
        shutil.rmtree(old)
    info = site / f"outside_app-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: outside-app\nVersion: {version}\n")
    (info / "top_level.txt").write_text(f"{APP}\n")


def outside_env(site):
    return {"ORB_EXTRA_APPS": APP, "PYTHONPATH": f"{ROOT}{os.pathsep}{site}"}


def plain_copy(project, directory):
    """A copy of the project's database file in its own directory (no journal, no backups)."""
    directory.mkdir()
    shutil.copyfile(project.db, directory / "orb.db")
    return Project(directory)


def plain_migrate(project, *args, **env):
    return project.run("migrate", *args, "--noinput", ORB_ALLOW_PLAIN_MIGRATE="1", **env)


def facts(db):
    """Schema, django_migrations and every row (but the time columns) of a SQLite file."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        rows = {}
        for table in tables:
            if table == "django_migrations":
                continue  # compared as the set of applied migrations (ids differ after an unapply)
            names = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if r[1] not in TIMES]
            select = ", ".join(f'"{n}"' for n in names)
            rows[table] = (names, conn.execute(f'SELECT {select} FROM "{table}" ORDER BY {select}').fetchall())
    finally:
        conn.close()
    return {"schema": dbfacts.schema(db), "applied": dbfacts.applied(db), "rows": rows}


def assert_same(left, right):
    """The two databases hold the same schema, django_migrations and rows (says which table differs)."""
    mine, theirs = facts(left), facts(right)
    assert mine["schema"] == theirs["schema"]
    assert mine["applied"] == theirs["applied"]
    differ = {
        t: (mine["rows"].get(t), theirs["rows"].get(t))
        for t in set(mine["rows"]) | set(theirs["rows"])
        if mine["rows"].get(t) != theirs["rows"].get(t)
    }
    assert not differ, differ


def add_rows(db):
    conn = sqlite3.connect(db)
    with conn:
        for pk, name in [(1, "keep"), (2, "retired-a"), (3, "retired-b")]:
            conn.execute("INSERT INTO outside_app_parent (id, name) VALUES (?, ?)", (pk, name))
            conn.execute("INSERT INTO outside_app_child (parent_id, label) VALUES (?, ?)", (pk, f"{name}-child"))
    conn.close()


def test_a_third_party_changelist_that_redirects_does_not_fail_the_smoke_checks(project, tmp_path):
    env = outside_env(install_outside_app(tmp_path))
    plain = plain_copy(project, tmp_path / "plain")
    assert plain_migrate(plain, **env).returncode == 0

    result = project.run("safe_migrate", "--noinput", **env)

    last = assert_clean(result, 0)
    assert last.startswith("Database upgraded: 3 migrations applied")
    assert "smoke 1 passed" in result.stdout
    assert facts(project.db)["schema"] == facts(plain.db)["schema"]
    assert facts(project.db)["applied"] == facts(plain.db)["applied"]


def test_post_migrate_setup_in_an_apps_management_module_runs(project, tmp_path):
    env = outside_env(install_outside_app(tmp_path))
    plain = plain_copy(project, tmp_path / "plain")
    assert plain_migrate(plain, **env).returncode == 0
    assert dbfacts.rows(plain.db, "SELECT username FROM auth_user WHERE username = 'outside-anonymous'")

    for args in (["--rehearse"], []):  # the rehearsal and the real run alike
        result = project.run("safe_migrate", "--noinput", *args, **env)
        assert_clean(result, 0)
        assert_same(project.db, plain.db)
        assert_clean(project.run("safe_migrate", APP, "zero", "--noinput", **env), 0)
    # Backwards too: the handler runs after an unapply as after migrate's.
    assert plain_migrate(plain, APP, "zero", **env).returncode == 0
    assert_same(project.db, plain.db)


def test_deleting_referenced_rows_then_altering_the_table_agrees_with_migrate(project, tmp_path):
    env = outside_env(install_outside_app(tmp_path))
    assert_clean(project.run("safe_migrate", APP, "0001", "--noinput", **env), 0)
    add_rows(project.db)
    plain = plain_copy(project, tmp_path / "plain")
    assert plain_migrate(plain, **env).returncode == 0
    before = project.hashes()

    refused = project.run("safe_migrate", "--noinput", **env)
    assert_clean(refused, 3)
    assert "Checking data preservation... OK" not in refused.stdout
    assert "Checking data preservation" in refused.stdout
    assert project.hashes() == before

    result = project.run("safe_migrate", "--noinput", "--allow-data-loss", **env)
    assert_clean(result, 0)
    assert_same(project.db, plain.db)
    assert dbfacts.rows(project.db, "SELECT name FROM outside_app_parent") == [("keep",)]
    summary = result.stdout
    assert "data preserved" not in summary
    assert re.search(r"data loss allowed: \d+ rows? dropped", summary), summary


def reformat(path):
    """The same operations in other bytes, as a newer release's formatter would write them."""
    text = path.read_text()
    path.write_text("# Generated by Django 5.2 (reformatted)\n\n" + text.replace('"', "'"))


@pytest.mark.parametrize("version", ["1.1", None])
def test_an_upgraded_package_that_reformatted_an_applied_migration_is_a_warning(project, tmp_path, version):
    site = install_outside_app(tmp_path)
    env = outside_env(site)
    assert_clean(project.run("safe_migrate", "--noinput", **env), 0)
    plain = plain_copy(project, tmp_path / "plain")
    # "pip install -U": 0001 reformatted, a new migration, a new version (or none known).
    package = site / APP
    initial = package / "migrations" / "0001_initial.py"
    reformat(initial)
    models = package / "models.py"
    models.write_text(
        models.read_text().replace(
            "name = models.CharField(max_length=50)\n    code", "name = models.CharField(max_length=80)\n    code"
        )
    )
    (package / "migrations" / "0004_longer_name.py").write_text(
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('outside_app', '0003_parent_code')]\n"
        "    operations = [migrations.AlterField(model_name='parent', name='name',"
        " field=models.CharField(max_length=80))]\n"
    )
    if version:
        set_version(site, version)
    else:
        for info in site.glob("*.dist-info"):
            shutil.rmtree(info)
    assert plain_migrate(plain, **env).returncode == 0

    result = project.run("safe_migrate", "--noinput", **env)

    last = assert_clean(result, 0)
    assert last.startswith("Database upgraded: 1 migration applied")
    said = "outside-app 1.1" if version else "version unknown"
    warning = [line for line in result.stdout.splitlines() if "outside_app.0001_initial" in line]
    assert warning and said in warning[0] and "Warning" in warning[0], result.stdout
    assert_same(project.db, plain.db)
    record = project.journal()[-1]
    assert record["checksums"]["outside_app.0001_initial"] == dbfacts.file_sha(initial)
    assert any("outside_app.0001_initial" in w for w in record["warnings"])
    # The new checksum is recorded: the next run has nothing to say about it.
    again = project.run("safe_migrate", "--noinput", **env)
    assert_clean(again, 0)
    assert "outside_app.0001_initial" not in again.stdout + again.stderr


def test_a_backwards_dry_run_says_unapplied(project, tmp_path):
    env = outside_env(install_outside_app(tmp_path))
    assert_clean(project.run("safe_migrate", "--noinput", **env), 0)
    before = project.hashes()
    result = project.run("safe_migrate", APP, "zero", "--dry-run", **env)
    last = assert_clean(result, 0)
    assert last == "Database unchanged: dry run passed; 3 migration(s) would be unapplied."
    assert project.hashes() == before


def test_plan_undoing_an_unmanaged_or_proxy_model_is_not_destructive(project, tmp_path):
    import json

    env = outside_env(install_outside_app(tmp_path))
    assert_clean(project.run("safe_migrate", "--noinput", **env), 0)
    result = project.run("safe_migrate", APP, "zero", "--plan", "--json", **env)
    assert result.returncode == 0, result.stderr
    [initial] = [s for s in json.loads(result.stdout)["steps"] if s["migration"] == f"{APP}.0001_initial"]
    destructive = {op["description"]: op["destructive"] for op in initial["operations"]}
    assert destructive == {
        "Undo: Create model Parent": True,
        "Undo: Create model Child": True,
        "Undo: Create proxy model ParentProxy": False,
        "Undo: Create model Legacy": False,
    }
    assert initial["destructive"] is True


def test_deleting_an_unmanaged_or_proxy_model_is_not_destructive():
    from django.db import migrations, models
    from django.db.migrations.state import ModelState, ProjectState

    from orb.safemigrate.plan import describe_operations

    state = ProjectState()
    fields = [("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=5))]
    state.add_model(ModelState("shop", "Real", list(fields)))
    state.add_model(ModelState("shop", "View", list(fields), options={"managed": False}))
    state.add_model(ModelState("shop", "RealProxy", [], options={"proxy": True}, bases=("shop.real",)))
    migration = migrations.Migration("0002_cleanup", "shop")
    migration.operations = [
        migrations.RemoveField("view", "name"),
        migrations.DeleteModel("View"),
        migrations.DeleteModel("RealProxy"),
        migrations.RemoveField("real", "name"),
        migrations.DeleteModel("Real"),
    ]
    infos = describe_operations(migration, backwards=False, state=state)
    assert [info.destructive for info in infos] == [False, False, False, True, True]
    assert [info.destructive for info in describe_operations(migration, backwards=False)] == [True] * 5
