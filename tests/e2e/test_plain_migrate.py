"""Issue 10 item 6: plain ``manage.py migrate`` refuses the ship's database.

On a real SQLite file and a real PostgreSQL database it exits 2 with one sentence naming
``safe_migrate``, and the database is untouched (same bytes, same django_migrations; a
database that did not exist is not created).  With ORB_ALLOW_PLAIN_MIGRATE=1 it migrates.
Django's test runner, which calls ``migrate`` on the test database it creates, keeps working
on both engines (pytest-django does too: this suite's own test database proves it).
"""

import hashlib
import os
import textwrap
import uuid

import pytest

from . import dbfacts
from .conftest import ROOT
from .pg import PgProject, admin, drop_database

pytestmark = pytest.mark.e2e

PENDING = "scenario.0002_reading_comment"


def file_digest(path):
    digest = hashlib.sha256()
    for suffix in ("", "-wal"):
        if os.path.exists(path + suffix):
            with open(path + suffix, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()


def assert_refused(result, database):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("CommandError: Plain `migrate` is refused on ") and database in line, line
    assert "python manage.py safe_migrate" in line and "ORB_ALLOW_PLAIN_MIGRATE=1" in line
    assert result.stdout == ""


def test_plain_migrate_refuses_a_real_sqlite_file_and_leaves_it_unchanged(project):
    before, applied = file_digest(project.db), project.applied()

    for args in (("migrate", "--noinput"), ("migrate", "scenario", "--noinput"), ("migrate",)):
        assert_refused(project.run(*args, scenario="add_column"), project.db)

    assert file_digest(project.db) == before and project.applied() == applied
    assert PENDING not in applied
    assert not os.path.exists(project.db + ".safe_migrate.journal.jsonl")

    allowed = project.run("migrate", "--noinput", "-v", "0", scenario="add_column", ORB_ALLOW_PLAIN_MIGRATE="1")
    assert allowed.returncode == 0, allowed.stderr
    assert PENDING in project.applied()
    assert "comment" in dbfacts.columns(project.db, "scenario_reading")


def test_plain_migrate_does_not_create_a_missing_sqlite_file(empty_project):
    assert_refused(empty_project.run("migrate", "--noinput"), empty_project.db)
    assert not os.path.exists(empty_project.db)
    off = empty_project.run("migrate", "--noinput", ORB_ALLOW_PLAIN_MIGRATE="0")
    assert_refused(off, empty_project.db)


@pytest.mark.postgres
def test_plain_migrate_refuses_a_real_postgresql_database(tmp_path):
    name = f"orb_plain_{uuid.uuid4().hex[:10]}"
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        pg = PgProject(tmp_path, name=name)
        tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        assert_refused(pg.run("migrate", "--noinput"), name)
        assert pg.rows(tables) == [(0,)]
        allowed = pg.run("migrate", "--noinput", "-v", "0", ORB_ALLOW_PLAIN_MIGRATE="1")
        assert allowed.returncode == 0, allowed.stderr
        assert "fueltickets.0003_meter_digits" in pg.applied() and "scenario.0001_initial" in pg.applied()
    finally:
        drop_database(name)


TEST_MODULE = """
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import TestCase


class MigratedTestDatabase(TestCase):
    def test_the_runner_migrated_its_test_database(self):
        print("TEST DATABASE", connection.settings_dict["NAME"])
        self.assertTrue(MigrationRecorder(connection).migration_qs.filter(app="fueltickets").exists())
"""


def write_test_module(tmp_path):
    package = tmp_path / "runnercheck"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tests.py").write_text(textwrap.dedent(TEST_MODULE))
    return {"PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}


def test_djangos_test_runner_still_migrates_its_sqlite_test_database(empty_project, tmp_path):
    env = write_test_module(tmp_path)
    result = empty_project.run("test", "runnercheck", "--noinput", "-v", "2", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ran 1 test" in result.stderr and "OK" in result.stderr
    assert not os.path.exists(empty_project.db)  # the test database was the in-memory one


@pytest.mark.postgres
def test_djangos_test_runner_still_migrates_its_postgresql_test_database(tmp_path):
    name = f"orb_runner_{uuid.uuid4().hex[:10]}"
    pg = PgProject(tmp_path, name=name)
    env = write_test_module(tmp_path)
    try:
        result = pg.run("test", "runnercheck", "--noinput", "-v", "2", **env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"TEST DATABASE test_{name}" in result.stdout
        assert "Ran 1 test" in result.stderr and "OK" in result.stderr
    finally:
        drop_database(f"test_{name}")
        drop_database(name)
