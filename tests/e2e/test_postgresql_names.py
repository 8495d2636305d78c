"""PostgreSQL database names that are awkward: long in bytes, shaped like options or conninfo.

Real server, real ``manage.py safe_migrate`` subprocesses, assertions on the server afterwards:
the live database still exists with its rows, and no scratch database is left behind.
Also: ``foreign_backup_problems`` on real crafted dumps, and the private lock file.
"""

import os
import signal
import stat
import subprocess
import types
import uuid
from urllib.parse import quote

import psycopg
import pytest

from orb.safemigrate.backends.postgresql import PgRunLock, PostgreSQLBackend

from .conftest import assert_clean
from .pg import SERVER, PgProject, admin, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

MARKER = "orb safe_migrate scratch: "


def drop(name):
    with admin() as conn:
        conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(name)))


def starting_with(tag):
    """Databases whose name starts with ``tag`` (compared in bytes, as the server stores them)."""
    with admin() as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
    return sorted(n for n in names if n.encode().startswith(tag.encode()))


class NamedPg(PgProject):
    """A PgProject whose database name may hold any character (passed as a conninfo value)."""

    def __init__(self, directory, *, name, tag):
        super().__init__(directory, name=name)
        self.tag = tag
        self.env_extra["DATABASE_URL"] = f"{SERVER}/{quote(name, safe='')}"

    def connect(self):
        return psycopg.connect(SERVER, dbname=self.name, autocommit=True)

    def exists(self):
        with admin() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.name,)).fetchone() is not None

    def leftovers(self):
        """Every database but the live one that starts with this test's tag, or carries a scratch mark."""
        with admin() as conn:
            marked = [
                r[0]
                for r in conn.execute(
                    "SELECT datname FROM pg_database WHERE shobj_description(oid, 'pg_database') LIKE %s",
                    (MARKER + "%" + self.tag + "%",),
                )
            ]
        return sorted({*starting_with(self.tag), *marked} - {self.name})


@pytest.fixture
def named(tmp_path, pg_template):
    """``named(name_from_tag)`` creates a copy of the seeded template under an awkward name."""
    made = []

    def make(shape, *, create=True):
        unique = uuid.uuid4().hex[:4]
        name = shape(f"orb_{unique}")
        tag = name[: name.index(unique) + len(unique)]  # every scratch name of this database starts so
        project = NamedPg(tmp_path / str(len(made)), name=name, tag=tag)
        made.append(project)
        if create:
            with admin() as conn:
                conn.execute(
                    psycopg.sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        psycopg.sql.Identifier(project.name), psycopg.sql.Identifier(pg_template.name)
                    )
                )
        return project

    try:
        yield make
    finally:
        for project in made:
            for name in [*starting_with(project.tag), project.name]:
                drop(name)


# --- item 1: names counted in bytes --------------------------------------------------------


def sixty_three_bytes(tag):
    name = f"{tag}_" + "é" * 27  # 9 + 54 bytes: 36 characters, 63 bytes
    assert len(name.encode()) == 63
    return name


def test_dry_run_rehearse_and_restore_keep_a_63_byte_database(named):
    pg = named(sixty_three_bytes)
    before, readings = pg.hashes(), pg.readings()

    dry = pg.run("safe_migrate", "--dry-run", scenario="add_column")
    assert pg.exists(), f"the live database was dropped by a dry run\n{dry.stdout}\n{dry.stderr}"
    assert_clean(dry, 0)
    assert "Rehearsal passed" in dry.stdout
    assert pg.readings() == readings and pg.hashes() == before and pg.leftovers() == []

    upgraded = pg.run("safe_migrate", "--noinput", "--rehearse", scenario="add_column")
    assert_clean(upgraded, 0)
    assert "comment" in pg.columns("scenario_reading") and pg.leftovers() == []

    restored = pg.run("safe_migrate", "--restore", "--noinput", scenario="add_column")
    assert_clean(restored, 0)
    assert pg.exists() and "comment" not in pg.columns("scenario_reading")
    assert pg.hashes() == before and pg.readings() == readings and pg.leftovers() == []
    comment = pg.rows("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (pg.name,))
    assert comment == [(None,)], "the restored live database must not carry a scratch mark"


def test_a_name_longer_than_postgresql_keeps_is_refused_and_nothing_is_created(named):
    pg = named(lambda tag: f"{tag}_" + "é" * 30, create=False)  # 69 bytes: the server would cut it
    for args in (("--noinput",), ("--dry-run",)):
        result = pg.run("safe_migrate", *args, scenario="add_column")
        last = assert_clean(result, 3)
        assert last.startswith("Database unchanged")
        message = result.stderr.strip().splitlines()[0]
        assert "69 bytes" in message and "63" in message, result.stderr
    assert starting_with(pg.tag) == []


def test_leftover_of_a_killed_dry_run_is_found_by_its_mark_and_dropped(named):
    pg = named(sixty_three_bytes)
    readings = pg.readings()
    victim = pg.popen("safe_migrate", "--dry-run", ORB_SCENARIO="slow", ORB_SCENARIO_SLEEP="60")
    try:
        wait_until(lambda: pg.leftovers() != [], what="the rehearsal database to be created")
        [scratch] = pg.leftovers()
        wait_until(
            lambda: (
                pg.rows(
                    "SELECT 1 FROM pg_stat_activity WHERE datname = %s AND state = 'idle in transaction'", (scratch,)
                )
                != []
            ),
            what="the rehearsal to apply",
        )
    finally:
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
    assert pg.exists() and pg.leftovers() == [scratch]
    assert len(scratch.encode()) <= 63 and scratch != pg.name

    result = pg.run("safe_migrate", "--dry-run", scenario="slow", ORB_SCENARIO_SLEEP="0")
    assert_clean(result, 0)
    assert f"Dropped a rehearsal database left by an interrupted run: {scratch}" in result.stdout
    assert pg.exists() and pg.readings() == readings and pg.leftovers() == []


def test_a_database_not_marked_as_scratch_is_never_dropped(named):
    pg = named(lambda tag: tag)
    dead = subprocess.Popen(["true"])
    dead.wait()
    lookalike = f"{pg.name}_orb_rehearsal_{dead.pid}"
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{lookalike}"')
    with psycopg.connect(SERVER, dbname=lookalike, autocommit=True) as conn:
        conn.execute("CREATE TABLE precious (id int); INSERT INTO precious VALUES (1)")

    result = pg.run("safe_migrate", "--noinput", scenario="add_column")

    assert_clean(result, 0)
    assert "comment" in pg.columns("scenario_reading")
    assert pg.leftovers() == [lookalike], "a database safe_migrate did not mark was dropped"
    with psycopg.connect(SERVER, dbname=lookalike) as conn:
        assert conn.execute("SELECT id FROM precious").fetchall() == [(1,)]
    assert f"not marked as a safe_migrate scratch database: {lookalike}" in result.stdout + result.stderr


# --- item 3: names that pg_dump would parse as a conninfo or an option ----------------------


@pytest.mark.parametrize("shape", [lambda tag: f"{tag}_a=b", lambda tag: f"-{tag}"], ids=["conninfo", "dash"])
def test_backup_dry_run_and_restore_of_an_awkward_name(named, shape):
    pg = named(shape)
    before, readings = pg.hashes(), pg.readings()

    dry = pg.run("safe_migrate", "--dry-run", scenario="add_column")
    assert_clean(dry, 0)
    assert "Rehearsal passed" in dry.stdout and pg.hashes() == before and pg.leftovers() == []

    upgraded = pg.run("safe_migrate", "--noinput", scenario="add_column")
    assert_clean(upgraded, 0)
    [backup] = pg.backups()
    listing = subprocess.run(["pg_restore", "--list", backup], capture_output=True, text=True)
    assert listing.returncode == 0 and f"dbname: {pg.name}" in listing.stdout
    assert "comment" in pg.columns("scenario_reading")

    restored = pg.run("safe_migrate", "--restore", "--noinput", scenario="add_column")
    assert_clean(restored, 0)
    assert pg.hashes() == before and pg.readings() == readings
    assert "comment" not in pg.columns("scenario_reading") and pg.leftovers() == []


# --- item 2 (PostgreSQL part): what a foreign dump may hold --------------------------------


def backend_for(name):
    connection = types.SimpleNamespace(
        alias="default",
        settings_dict={"NAME": name, "USER": "postgres", "HOST": "127.0.0.1", "PORT": "5432", "OPTIONS": {}},
    )
    return PostgreSQLBackend(connection)


@pytest.fixture
def crafted(tmp_path):
    """``crafted(sql, *dump_args)``: a pg_dump -Fc of a fresh database after running ``sql``."""
    made = []

    def make(statements, *dump_args):
        name = f"orb_fbp_{uuid.uuid4().hex[:8]}"
        made.append(name)
        with admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(SERVER, dbname=name, autocommit=True) as conn:
            conn.execute(statements)
        path = tmp_path / f"{name}.dump"
        subprocess.run(
            ["pg_dump", "-Fc", "-f", str(path), *dump_args, f"{SERVER}/{name}"], check=True, capture_output=True
        )
        return str(path)

    try:
        yield make
    finally:
        for name in made:
            drop(name)


TABLE = "CREATE TABLE reading (id serial PRIMARY KEY, name text NOT NULL CHECK (length(name) > 0), v int);"


def test_a_clean_foreign_dump_passes(crafted, pg_template, tmp_path):
    plain = crafted(
        TABLE + " INSERT INTO reading (name, v) VALUES ('a', 1); COMMENT ON TABLE reading IS 'x';"
        " CREATE INDEX reading_lower ON reading (lower(name));"
    )
    assert backend_for("x").foreign_backup_problems(plain) == []
    project = str(tmp_path / "orb.dump")  # the seeded ORB template: Django tables, identities, FKs, indexes
    subprocess.run(["pg_dump", "-Fc", "-f", project, f"{SERVER}/{pg_template.name}"], check=True)
    # Besides tables and their data, an ORB database holds only the record's append-only guard:
    # trigger functions and triggers, which a foreign dump may not bring (they would run on
    # restore), so --foreign refuses it, naming each (restore such a dump by hand: the runbook).
    problems = backend_for("x").foreign_backup_problems(project)
    entries = [problem for problem in problems if problem.startswith("The dump holds ")]
    assert entries and all("orb_guard_" in problem for problem in entries), problems
    assert {problem.split()[3] for problem in entries} == {"FUNCTION", "TRIGGER"}, problems


@pytest.mark.parametrize(
    "statements, expected",
    [
        (
            TABLE + " CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;"
            " CREATE TRIGGER t BEFORE INSERT ON reading FOR EACH ROW EXECUTE FUNCTION f();",
            ["FUNCTION public f()", "TRIGGER public reading t"],
        ),
        (TABLE + " CREATE VIEW readings AS SELECT * FROM reading;", ["VIEW public readings"]),
        (TABLE + " CREATE RULE r AS ON INSERT TO reading DO ALSO NOTHING;", ["RULE public reading r"]),
        (
            TABLE + " ALTER TABLE reading ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON reading USING (true);",
            ["POLICY public reading p"],
        ),
        (TABLE + " ALTER TABLE reading ALTER COLUMN v SET DEFAULT pg_catalog.pg_backend_pid();", ["pg_backend_pid"]),
        (
            TABLE + " ALTER TABLE reading ADD CONSTRAINT sneaky CHECK (pg_catalog.pg_sleep(0) IS NOT NULL);",
            ["pg_sleep"],
        ),
    ],
)
def test_a_foreign_dump_holding_more_than_tables_is_refused(crafted, statements, expected):
    problems = backend_for("x").foreign_backup_problems(crafted(statements))
    assert problems, "expected a refusal"
    text = "\n".join(problems)
    for word in expected:
        assert word in text, text
    assert all(p.endswith(".") and "\n" not in p for p in problems), problems


def test_a_check_calling_a_function_outside_the_dump_is_refused(crafted):
    path = crafted(
        "CREATE SCHEMA other; CREATE FUNCTION other.ok(int) RETURNS boolean LANGUAGE sql "
        "IMMUTABLE AS 'SELECT true'; " + TABLE + " ALTER TABLE reading ADD CONSTRAINT calls CHECK (other.ok(v));",
        "-n",
        "public",
    )
    problems = backend_for("x").foreign_backup_problems(path)
    assert any("other.ok" in p for p in problems), problems


def test_a_file_that_is_no_dump_is_one_sentence(tmp_path):
    junk = tmp_path / "junk.dump"
    junk.write_text("not a dump")
    [problem] = backend_for("x").foreign_backup_problems(str(junk))
    assert "pg_restore --list" in problem and "\n" not in problem


# --- the informational lock file -------------------------------------------------------------


def test_the_lock_file_is_private_and_never_written_through_a_planted_link(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    path = tmp_path / "state" / "db.safe_migrate.lock"
    path.parent.mkdir()
    os.symlink(victim, f"{path}.tmp-{os.getpid()}")  # the old, predictable temporary name
    lock = PgRunLock(types.SimpleNamespace(lock_path=str(path)))
    lock.info = {"pid": os.getpid(), "host": "h", "mode": "upgrade"}
    lock._write()
    assert victim.read_text() == "keep me"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and not os.path.islink(path)
    assert [p.name for p in path.parent.iterdir() if not p.name.endswith(f".tmp-{os.getpid()}")] == [path.name]
