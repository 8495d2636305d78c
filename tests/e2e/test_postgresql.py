"""The same workflows on a real PostgreSQL server: each test gets its own database.

Databases are copied from a migrated, seeded template (``CREATE DATABASE ... TEMPLATE``),
``manage.py safe_migrate`` runs as a subprocess with ``DATABASE_URL=postgres://...``, and
every assertion reads the database through psycopg (information_schema, row hashes,
django_migrations).  Needs the server at 127.0.0.1:5432 (user postgres, trust auth);
``.ci/run`` starts it.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from .conftest import ROOT, Gate, assert_clean, finish
from .pg import SERVER, PgProject, admin, drop_database

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def restored_copy(pg, dump):
    """Restore ``dump`` into a new database and return a PgProject reading it (dropped by the caller)."""
    name = f"{pg.name}_chk"
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    subprocess.run(["pg_restore", "--exit-on-error", "-d", f"{SERVER}/{name}", dump], check=True, capture_output=True)
    return PgProject(pg.dir / "chk", name=name)


def test_upgrade_keeps_every_row_and_the_backup_holds_the_old_state(pg):
    before, readings, schema = pg.hashes(), pg.readings(), pg.schema()

    result = pg.run("safe_migrate", "--noinput", scenario="add_column")

    last = assert_clean(result, 0)
    assert last.startswith("Database upgraded: 1 migration applied; backup ")
    assert "comment" in pg.columns("scenario_reading")
    assert pg.readings() == readings
    after = pg.hashes()
    assert {t: h for t, h in after.items() if t != "scenario_reading"} == {
        t: h for t, h in before.items() if t != "scenario_reading"
    }
    assert "scenario.0002_reading_comment" in pg.applied()
    [backup] = pg.backups()
    assert os.path.basename(backup).startswith(f"{pg.name}.backup-") and backup.endswith(".dump")
    sidecar = json.loads(Path(backup + ".json").read_text())
    record = pg.journal()[-1]
    assert record["outcome"] == "applied" and record["engine"] == "postgresql"
    assert record["backup"] == {"path": backup, "sha256": sidecar["sha256"]}
    assert subprocess.run(["pg_restore", "--list", backup], capture_output=True).returncode == 0
    copy = restored_copy(pg, backup)
    try:
        assert copy.hashes() == before and copy.schema() == schema
    finally:
        drop_database(copy.name)


def test_failing_plan_leaves_the_database_unchanged(pg):
    before, schema, applied = pg.hashes(), pg.schema(), pg.applied()
    result = pg.run("safe_migrate", "--noinput", scenario="fail_always")
    last = assert_clean(result, 1)
    assert "scenario.0003_fail failed" in result.stderr and last.startswith("Database unchanged")
    assert pg.hashes() == before and pg.schema() == schema and pg.applied() == applied
    assert pg.journal()[-1]["outcome"] == "failed"


@pytest.mark.parametrize("rehearse", [False, True])
def test_failing_only_on_the_real_database_is_rolled_back_whole(pg, rehearse):
    before, schema, applied = pg.hashes(), pg.schema(), pg.applied()
    result = pg.run("safe_migrate", "--noinput", *(["--rehearse"] if rehearse else []), scenario="fail_on_real")
    last = assert_clean(result, 1)
    if rehearse:
        assert "Rehearsal passed" in result.stdout
    assert "0003_fill_then_fail failed" in result.stderr and last.startswith("Database unchanged")
    assert "comment" not in pg.columns("scenario_reading")
    assert pg.hashes() == before and pg.schema() == schema and pg.applied() == applied
    assert pg.scratch() == []


def test_dry_run_rehearses_on_a_scratch_database_and_changes_nothing(pg):
    before, schema = pg.hashes(), pg.schema()
    result = pg.run("safe_migrate", "--dry-run", scenario="add_column")
    last = assert_clean(result, 0)
    assert "Rehearsal passed" in result.stdout and last.startswith("Database unchanged: dry run passed")
    assert pg.hashes() == before and pg.schema() == schema
    assert pg.scratch() == [] and pg.backups() == []


def test_non_atomic_plan_is_stopped_by_the_rehearsal_or_restored_from_the_backup(pg):
    before, schema, applied = pg.hashes(), pg.schema(), pg.applied()
    stopped = pg.run("safe_migrate", "--noinput", scenario="nonatomic", ORB_SCENARIO_FAIL="always")
    assert_clean(stopped, 1)
    assert "rehearsal on a copy failed" in stopped.stderr
    assert pg.hashes() == before and pg.applied() == applied

    result = pg.run("safe_migrate", "--noinput", scenario="nonatomic", ORB_SCENARIO_FAIL="real")
    last = assert_clean(result, 1)
    backup = pg.journal()[-1]["backup"]["path"]
    assert last == f"Database restored from {backup}."
    assert pg.hashes() == before and pg.schema() == schema and pg.applied() == applied
    assert pg.scratch() == []


def test_rollback_keeps_rows_written_after_the_upgrade(pg):
    assert_clean(pg.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    with pg.connect() as conn:
        conn.execute("INSERT INTO scenario_reading (name, value, note) VALUES ('after upgrade', 42, 'kept')")
    readings = pg.readings()

    result = pg.run("safe_migrate", "--rollback", "--noinput", scenario="add_column")

    last = assert_clean(result, 0)
    assert last.startswith("Database rolled back: 1 migration undone")
    assert "comment" not in pg.columns("scenario_reading")
    assert pg.readings() == readings and readings[-1][1:] == ("after upgrade", 42, "kept")
    assert "scenario.0002_reading_comment" not in pg.applied()


def test_restore_brings_back_exactly_the_backup_and_keeps_a_safety_dump(pg):
    before, schema, applied = pg.hashes(), pg.schema(), pg.applied()
    assert_clean(pg.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    [backup] = pg.backups()
    with pg.connect() as conn:
        conn.execute("INSERT INTO scenario_reading (name, value, comment) VALUES ('later', 1, 'x')")
    other = pg.connect()  # another client: terminated by the swap, the database stays usable
    try:
        result = pg.run("safe_migrate", "--restore", "--noinput", scenario="add_column")
    finally:
        other.close()

    last = assert_clean(result, 0)
    assert last.startswith(f"Database restored from {backup}; the previous state is kept in ")
    assert pg.hashes() == before and pg.schema() == schema and pg.applied() == applied
    record = pg.journal()[-1]
    assert record["mode"] == "restore" and record["outcome"] == "applied"
    safety = record["safety_backup"]["path"]
    assert safety in pg.backups() and record["safety_backup"]["verified"]
    assert pg.scratch() == []
    kept = restored_copy(pg, safety)
    try:
        assert ("later", 1, None) in [r[1:] for r in kept.readings()]
    finally:
        drop_database(kept.name)


def in_apply_transaction(pg):
    """The run's Django session sits inside the apply transaction (pg_dump's session is named)."""
    return bool(
        pg.rows(
            "SELECT 1 FROM pg_stat_activity WHERE datname = %s AND state = 'idle in transaction' "
            "AND application_name NOT LIKE '%%safe_migrate%%' AND pid <> pg_backend_pid()",
            (pg.name,),
        )
    )


def maintenance_active(pg):
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from orb.maintenance import maintenance_active; "
            "print(maintenance_active())",
        ],
        cwd=ROOT,
        env=pg.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    return probe.stdout.strip() == "True"


def test_second_run_is_refused_naming_the_holder_and_maintenance_is_on(pg, tmp_path):
    gate = Gate(tmp_path / "gate")
    first = pg.popen("safe_migrate", "--noinput", ORB_SCENARIO="slow", **gate.env())
    try:
        gate.wait_reached(first)  # inside the first run's apply transaction, holding the lock
        assert in_apply_transaction(pg)
        second = pg.run("safe_migrate", "--noinput", scenario="slow")
        assert_clean(second, 3)
        assert f"pid {first.pid}" in second.stderr and "holds the lock" in second.stderr
        status = pg.run("safe_migrate", "--status", scenario="slow")
        assert_clean(status, 0)
        assert f"Run in progress: pid {first.pid}" in status.stdout
        assert maintenance_active(pg)
        assert first.poll() is None, "the first run ended while the lock was being checked"
    finally:
        gate.release()
        out, err = finish(first)
    assert first.returncode == 0, err
    assert "scenario.0002_slow" in pg.applied()
    assert not maintenance_active(pg)


def test_kill_during_apply_leaves_the_old_state_and_the_next_run_works(pg, tmp_path):
    before, applied = pg.hashes(), pg.applied()
    gate = Gate(tmp_path / "gate")
    victim = pg.popen("safe_migrate", "--noinput", ORB_SCENARIO="slow", **gate.env())
    try:
        gate.wait_reached(victim)  # never released: killed inside the apply transaction
        assert in_apply_transaction(pg)
    finally:
        os.killpg(victim.pid, signal.SIGKILL)
        victim.communicate(timeout=30)
    assert pg.applied() == applied and pg.hashes() == before

    result = pg.run("safe_migrate", "--noinput", scenario="slow", ORB_SCENARIO_SLEEP="0")
    assert_clean(result, 0)
    assert "Took over a lock left by a run that is gone" in result.stdout
    assert "scenario.0002_slow" in pg.applied()
    outcomes = [(r["mode"], r["outcome"]) for r in pg.journal()]
    assert ("upgrade", "interrupted") in outcomes and outcomes[-1] == ("upgrade", "applied")


def test_a_leftover_rehearsal_database_is_dropped_by_the_next_run(pg):
    dead = subprocess.Popen(["true"])
    dead.wait()
    leftover = f"{pg.name}_orb_rehearsal_{dead.pid}"
    mark = "orb safe_migrate scratch: " + json.dumps(
        {"database": pg.name, "kind": "rehearsal", "pid": dead.pid, "host": socket.gethostname()}
    )
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{leftover}"')
        # A killed run's scratch database carries its mark; only marked databases are dropped
        # (tests/e2e/test_postgresql_names.py shows an unmarked one is left alone).
        conn.execute(f'COMMENT ON DATABASE "{leftover}" IS ' + "'" + mark.replace("'", "''") + "'")
    result = pg.run("safe_migrate", "--noinput", scenario="add_column")
    assert_clean(result, 0)
    assert f"Dropped a rehearsal database left by an interrupted run: {leftover}" in result.stdout
    assert pg.scratch() == []


def test_unreachable_server_is_one_clear_refusal(pg):
    url = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:1/{pg.name}"}
    for args in (("--status",), ("--noinput",), ("--plan",)):
        result = pg.run("safe_migrate", *args, **url)
        assert_clean(result, 3)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 2 and "PostgreSQL server 127.0.0.1:1 is not reachable" in lines[0], result.stderr
    # The applying run is journaled as refused (one record per run), nothing else.
    import json as _json

    for journal in pg.state_dir.glob("*.journal.jsonl"):
        records = [_json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
        assert [r["outcome"] for r in records] == ["refused"]


def test_status_shows_server_version_size_and_other_connections(pg):
    with pg.connect():
        result = pg.run("safe_migrate", "--status")
        as_json = pg.run("safe_migrate", "--status", "--json")
    assert_clean(result, 0)
    with admin() as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    assert f"Server version: {version}" in result.stdout
    assert "Other connections: 1" in result.stdout
    assert f"{pg.name} on 127.0.0.1:5432 (postgresql, " in result.stdout
    data = json.loads(as_json.stdout)
    assert data["engine"] == "postgresql" and data["server_version"] == version
    assert data["size"] > 0 and data["other_connections"] == 1 and data["pending"] == []


def test_a_pg_dump_older_than_the_server_is_refused(pg, tmp_path):
    bin_dir = tmp_path / "oldbin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 11.22'\n")
    fake.chmod(0o755)
    (bin_dir / "pg_restore").symlink_to("/usr/bin/pg_restore")
    before = pg.hashes()
    result = pg.run("safe_migrate", "--noinput", scenario="add_column", ORB_PG_BIN=str(bin_dir))
    assert_clean(result, 3)
    assert "pg_dump 11.22" in result.stderr and "older than the PostgreSQL server 15." in result.stderr
    assert pg.hashes() == before and pg.backups() == []


CONCURRENT_INDEX = """from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("scenario", "0001_initial")]
    operations = [AddIndexConcurrently("reading", models.Index(fields=["value"], name="reading_value_idx"))]
"""


def test_create_index_concurrently_is_rehearsed_then_applied_outside_a_transaction(pg, tmp_path):
    package = tmp_path / "pkgs" / "pg_concurrent"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "0001_initial.py").write_text((ROOT / "tests/e2e/scenarios/initial.py").read_text())
    (package / "0002_reading_value_idx.py").write_text(CONCURRENT_INDEX)
    env = {"ORB_SCENARIO_MODULE": package.name, "PYTHONPATH": f"{ROOT}{os.pathsep}{package.parent}"}
    before = pg.hashes()

    result = pg.run("safe_migrate", "--noinput", **env)

    assert_clean(result, 0)
    assert "cannot run in one transaction" in result.stdout and "Rehearsal passed" in result.stdout
    assert pg.rows("SELECT indexdef FROM pg_indexes WHERE indexname = 'reading_value_idx'")
    assert {t: h for t, h in pg.hashes().items() if t != "django_content_type"} == {
        t: h for t, h in before.items() if t != "django_content_type"
    }
    assert "scenario.0002_reading_value_idx" in pg.applied() and pg.scratch() == []


def test_a_user_who_may_not_create_databases_is_refused_a_rehearsal(pg):
    role = f"orb_e2e_role_{uuid.uuid4().hex[:8]}"
    with admin() as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN NOCREATEDB')
    with pg.connect() as conn:
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    try:
        result = pg.run(
            "safe_migrate",
            "--dry-run",
            scenario="add_column",
            DATABASE_URL=f"postgres://{role}@127.0.0.1:5432/{pg.name}",
        )
        assert_clean(result, 3)
        assert f"The PostgreSQL user {role} may not create databases" in result.stderr
        assert "CREATEDB" in result.stderr and pg.scratch() == []
    finally:
        with pg.connect() as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
        with admin() as conn:
            conn.execute(f'DROP ROLE "{role}"')


def test_a_restore_killed_while_the_database_was_closed_is_repaired_by_the_next_run(pg):
    with admin() as conn:  # what a restore killed just before its swap leaves behind
        conn.execute(f'ALTER DATABASE "{pg.name}" ALLOW_CONNECTIONS false')
    result = pg.run("safe_migrate", "--noinput", scenario="add_column")
    assert_clean(result, 0)
    assert "Allowed connections to" in result.stdout
    assert "comment" in pg.columns("scenario_reading")
