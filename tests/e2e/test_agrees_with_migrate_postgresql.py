"""On PostgreSQL, safe_migrate leaves what plain ``migrate`` leaves (issue 11), with the
third-party-like app of test_agrees_with_migrate installed outside the project.

Deferred foreign keys: plain ``migrate`` commits after each migration, which fires the
deferred constraint checks; safe_migrate runs the plan in one transaction, so it must fire
them between migrations, or a data migration that deletes referenced rows leaves pending
trigger events and the next ALTER TABLE of that table fails.
"""

import re
import uuid

import pytest

from .conftest import assert_clean
from .pg import PgProject, admin, drop_database
from .test_agrees_with_migrate import APP, install_outside_app, outside_env

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

TIMES = {"applied", "date_joined", "last_login"}


def facts(project):
    """Schema, applied migrations and every row (but the time columns) of a PostgreSQL database."""
    with project.connect() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ]
        rows = {}
        for table in tables:
            if table == "django_migrations":
                continue
            names = [
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND table_name = %s ORDER BY ordinal_position",
                    (table,),
                )
                if r[0] not in TIMES
            ]
            select = ", ".join(f'"{n}"' for n in names)
            rows[table] = conn.execute(f'SELECT {select} FROM "{table}" ORDER BY {select}').fetchall()
    return {"schema": project.schema(), "applied": project.applied(), "rows": rows}


def assert_same(mine, theirs):
    a, b = facts(mine), facts(theirs)
    assert a["schema"] == b["schema"]
    assert a["applied"] == b["applied"]
    differ = {
        t: (a["rows"].get(t), b["rows"].get(t))
        for t in set(a["rows"]) | set(b["rows"])
        if a["rows"].get(t) != b["rows"].get(t)
    }
    assert not differ, differ


def copy_database(pg, directory):
    """A copy of ``pg``'s database (CREATE DATABASE ... TEMPLATE) as its own project."""
    name = f"orb_e2e_plain_{uuid.uuid4().hex[:8]}"
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg.name}"')
    directory.mkdir()
    return PgProject(directory, name=name)


def plain_migrate(project, *args, **env):
    return project.run("migrate", *args, "--noinput", ORB_ALLOW_PLAIN_MIGRATE="1", **env)


def add_rows(pg):
    with pg.connect() as conn:
        for pk, name in [(1, "keep"), (2, "retired-a"), (3, "retired-b")]:
            conn.execute("INSERT INTO outside_app_parent (id, name) VALUES (%s, %s)", (pk, name))
            conn.execute("INSERT INTO outside_app_child (parent_id, label) VALUES (%s, %s)", (pk, f"{name}-c"))


@pytest.fixture
def outside(pg, tmp_path):
    """``pg`` with the outside app at 0001 and rows in its tables; yields (env, site, plain copy maker)."""
    site = install_outside_app(tmp_path)
    env = outside_env(site)
    assert_clean(pg.run("safe_migrate", APP, "0001", "--noinput", **env), 0)
    add_rows(pg)
    copies = []

    def plain_copy():
        copy = copy_database(pg, tmp_path / f"plain{len(copies)}")
        copies.append(copy)
        return copy

    yield env, site, plain_copy
    for copy in copies:
        drop_database(copy.name)


def test_deleting_referenced_rows_then_altering_the_table_agrees_with_migrate(pg, outside):
    env, _, plain_copy = outside
    plain = plain_copy()
    baseline = plain_migrate(plain, **env)
    assert baseline.returncode == 0, baseline.stderr

    result = pg.run("safe_migrate", "--noinput", "--allow-data-loss", **env)

    assert_clean(result, 0)
    assert_same(pg, plain)
    assert pg.rows("SELECT name FROM outside_app_parent") == [("keep",)]
    assert pg.rows("SELECT username FROM auth_user WHERE username = 'outside-anonymous'")
    assert re.search(r"data loss allowed: 4 rows dropped", result.stdout), result.stdout
    assert pg.scratch() == []


def test_a_deferred_violation_fails_the_run_at_the_migration_that_caused_it(pg, outside):
    env, site, plain_copy = outside
    # A data migration that deletes parents but leaves their children: deferred FK violation.
    (site / APP / "migrations" / "0002_drop_retired.py").write_text(
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('outside_app', '0001_initial')]\n"
        "    operations = [migrations.RunSQL(\"DELETE FROM outside_app_parent WHERE name LIKE 'retired%%'\","
        " migrations.RunSQL.noop)]\n"
    )
    plain = plain_copy()
    before = facts(pg)
    baseline = plain_migrate(plain, **env)
    assert baseline.returncode == 1 and "IntegrityError" in baseline.stderr
    assert facts(plain) == before  # migrate stopped at 0002; 0001 was applied already

    for args in ([], ["--rehearse"]):
        result = pg.run("safe_migrate", "--noinput", "--allow-data-loss", *args, **env)
        last = assert_clean(result, 1)
        assert "outside_app.0002_drop_retired failed: IntegrityError" in result.stderr, result.stderr
        assert "0003" not in result.stderr
        assert last.startswith("Database unchanged")
        assert facts(pg) == before
    assert pg.scratch() == []
