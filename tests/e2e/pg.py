"""A PostgreSQL database per test for the e2e tests: ``PgProject`` (a database, a state dir and a
backup dir, plus manage.py runs against them and facts read through psycopg), the session's
migrated and seeded template, and the ``pg`` fixture that copies it (``CREATE DATABASE ...
TEMPLATE``).  Needs the server at 127.0.0.1:5432 (user postgres, trust auth); ``.ci/run`` starts it.
The fixtures are made available to every e2e test by conftest.py.
"""

import json
import os
import time
import uuid

import psycopg
import pytest

from .conftest import Project, assert_clean

SERVER = os.environ.get("ORB_TEST_PG", "postgres://postgres@127.0.0.1:5432")
READINGS = "SELECT id, name, value, note FROM scenario_reading ORDER BY id"


def admin():
    try:
        return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {SERVER} is not reachable ({exc}); start it (see .ci/run).")


def databases(prefix):
    with admin() as conn:
        return sorted(
            r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,))
        )


def drop_database(name):
    with admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PgProject(Project):
    """A PostgreSQL database, a state dir and a backup dir, plus manage.py runs against them."""

    def __init__(self, directory, *, name, scenario="base"):
        super().__init__(directory, scenario=scenario)
        self.name = name
        self.state_dir = self.dir / "state"
        self.backup_dir = self.dir / "backups"
        self.env_extra = {
            "DATABASE_URL": f"{SERVER}/{name}",
            "ORB_STATE_DIR": str(self.state_dir),
            "ORB_BACKUP_DIR": str(self.backup_dir),
        }

    def connect(self):
        return psycopg.connect(f"{SERVER}/{self.name}", autocommit=True)

    def rows(self, query, params=()):
        with self.connect() as conn:
            return conn.execute(query, params).fetchall()

    def readings(self):
        return self.rows(READINGS)

    def columns(self, table):
        return [
            r[0]
            for r in self.rows(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = %s ORDER BY ordinal_position",
                (table,),
            )
        ]

    def schema(self):
        columns = self.rows(
            "SELECT table_name, column_name, data_type, is_nullable, character_maximum_length "
            "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2"
        )
        indexes = self.rows("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
        return columns, indexes

    def hashes(self, *, skip=("django_migrations",)):
        """{table: md5 over every row in a fixed order} for every table but ``skip``."""
        with self.connect() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                    "AND table_type = 'BASE TABLE'"
                )
            ]
            return {
                t: conn.execute(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{t}\" t"
                ).fetchone()
                for t in tables
                if t not in skip
            }

    def applied(self):
        return {f"{a}.{n}" for a, n in self.rows("SELECT app, name FROM django_migrations")}

    def journal(self):
        path = self.state_dir / f"{self.name}.safe_migrate.journal.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def backups(self):
        return sorted(str(p) for p in self.backup_dir.glob(f"{self.name}.backup-*.dump"))

    def scratch(self):
        return databases(f"{self.name}_orb_")


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory):
    """A database migrated (scenario base) and seeded once per session, copied per test."""
    name = f"orb_e2e_tpl_{os.getpid()}"
    drop_database(name)
    project = PgProject(tmp_path_factory.mktemp("pg-template"), name=name)
    assert_clean(project.run("safe_migrate", "--noinput"), 0)
    seeded = project.run("seed_scenario")
    assert seeded.returncode == 0, seeded.stderr
    yield project
    drop_database(name)


@pytest.fixture
def pg(tmp_path, pg_template):
    name = f"orb_e2e_{uuid.uuid4().hex[:10]}"
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template.name}"')
    project = PgProject(tmp_path, name=name)
    yield project
    for leftover in [name, *databases(f"{name}_orb_")]:
        drop_database(leftover)


def wait_until(predicate, *, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
