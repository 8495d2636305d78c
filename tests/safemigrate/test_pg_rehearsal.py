"""The PostgreSQL rehearsal's copy (issue 17): a file copy of the live database (``CREATE DATABASE
… TEMPLATE … STRATEGY FILE_COPY``) when no other session is connected to it, ``pg_dump |
pg_restore`` otherwise; the same rehearsal either way; an unfinished copy left by a killed run is
dropped by the next run, and nothing else is.

Real server at 127.0.0.1:5432 (tests/e2e/pg.py): each test gets its own database copied from the
session's migrated, seeded template, and safe_migrate runs as a subprocess.
"""

import json
import socket
import subprocess
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.e2e import conftest as e2e  # first: it imports tests/e2e/pg.py, whose fixtures it holds
from tests.e2e.pg import SERVER, admin

assert_clean = e2e.assert_clean
pg_template, pg = e2e.pg_template, e2e.pg  # the e2e fixtures, for this folder's tests

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

FILE_COPY = "for the rehearsal as a file copy (CREATE DATABASE … TEMPLATE)"
DUMP_COPY = "for the rehearsal with pg_dump | pg_restore: 1 other session(s) are connected to it"
VOLATILE = {"id", "pid", "started_at", "finished_at", "timings", "check_timings", "migration_timings", "database"}


def dry_run(pg):
    """``safe_migrate --dry-run``, then ``--dry-run --json``, of the add_column scenario: (the
    journal record without what changes from run to run, the progress of the first run)."""
    progress = pg.run("safe_migrate", "--dry-run", scenario="add_column")
    assert_clean(progress, 0)
    result = pg.run("safe_migrate", "--dry-run", "--json", scenario="add_column")
    assert result.returncode == 0 and result.stderr.startswith("Database unchanged: dry run passed"), result.stderr
    record = json.loads(result.stdout)
    assert record["outcome"] == "rehearsed"
    return {k: v for k, v in record.items() if k not in VOLATILE}, progress.stdout


def dead_pid():
    dead = subprocess.Popen(["true"])
    dead.wait()
    return dead.pid


def test_alone_the_rehearsal_is_a_file_copy_and_changes_nothing(pg):
    before, schema = pg.hashes(), pg.schema()
    result = pg.run("safe_migrate", "--dry-run", scenario="add_column")
    last = assert_clean(result, 0)
    assert FILE_COPY in result.stdout and "pg_dump | pg_restore" not in result.stdout
    assert "Rehearsal passed" in result.stdout and last.startswith("Database unchanged: dry run passed")
    assert pg.hashes() == before and pg.schema() == schema
    assert pg.scratch() == [] and pg.backups() == []


def test_with_another_session_connected_the_rehearsal_restores_a_dump_and_the_session_stays(pg):
    before = pg.hashes()
    with pg.connect() as other:
        other.execute("SELECT 1")
        result = pg.run("safe_migrate", "--dry-run", scenario="add_column")
        assert_clean(result, 0)
        assert DUMP_COPY in result.stdout and FILE_COPY not in result.stdout
        assert "Rehearsal passed" in result.stdout
        assert other.execute("SELECT count(*) FROM scenario_reading").fetchone()[0] == 300  # never disturbed
    assert pg.hashes() == before and pg.scratch() == []


def test_both_copies_rehearse_the_same(pg):
    alone, alone_progress = dry_run(pg)
    with pg.connect() as other:
        other.execute("SELECT 1")
        connected, connected_progress = dry_run(pg)
    assert FILE_COPY in alone_progress and DUMP_COPY in connected_progress
    assert alone == connected
    assert alone["rows_before"] == connected["rows_before"] and alone["rows_after"]["scenario_reading"] == 300


def test_an_upgrade_with_rehearse_copies_by_file_then_applies(pg):
    before = pg.readings()
    result = pg.run("safe_migrate", "--noinput", "--rehearse", scenario="add_column")
    assert_clean(result, 0)
    assert FILE_COPY in result.stdout and "Rehearsal passed" in result.stdout
    assert "comment" in pg.columns("scenario_reading")
    assert [row[:3] for row in pg.rows("SELECT id, name, value FROM scenario_reading ORDER BY id")] == [
        row[:3] for row in before
    ]
    assert pg.scratch() == [] and pg.journal()[-1]["outcome"] == "applied"


def test_an_unfinished_copy_of_a_killed_run_is_dropped_and_other_look_alikes_are_left(pg):
    pid = dead_pid()
    unfinished = f"{pg.name}_orb_rehearsal_{pid}"  # killed between CREATE DATABASE and its mark
    commented = f"{pg.name}_orb_rehearsal_{pid + 1}"  # closed too, but someone wrote a comment on it
    open_one = f"{pg.name}_orb_rehearsal_{pid + 2}"  # unmarked and open: somebody's own database
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{unfinished}" TEMPLATE "{pg.name}" ALLOW_CONNECTIONS false')
        conn.execute(f'CREATE DATABASE "{commented}" ALLOW_CONNECTIONS false')
        conn.execute(f"COMMENT ON DATABASE \"{commented}\" IS 'kept for the auditors'")
        conn.execute(f'CREATE DATABASE "{open_one}"')
    result = pg.run("safe_migrate", "--noinput", scenario="add_column")
    assert_clean(result, 0)
    assert f"Dropped an unfinished rehearsal copy left by an interrupted run: {unfinished}" in result.stdout
    assert pg.scratch() == sorted([commented, open_one])
    assert f"not marked as a safe_migrate scratch database: {open_one}" in result.stdout + result.stderr


def test_a_marked_leftover_is_still_dropped(pg):
    pid = dead_pid()
    leftover = f"{pg.name}_orb_rehearsal_{pid}"
    mark = "orb safe_migrate scratch: " + json.dumps(
        {"database": pg.name, "kind": "rehearsal", "pid": pid, "host": socket.gethostname()}
    )
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{leftover}" TEMPLATE "{pg.name}"')
        conn.execute(f'COMMENT ON DATABASE "{leftover}" IS ' + "'" + mark.replace("'", "''") + "'")
    result = pg.run("safe_migrate", "--dry-run", scenario="add_column")
    assert_clean(result, 0)
    assert f"Dropped a rehearsal database left by an interrupted run: {leftover}" in result.stdout
    assert FILE_COPY in result.stdout and pg.scratch() == []


def _backend_on(name):
    from django.db.utils import ConnectionHandler

    from orb.safemigrate.backends.postgresql import PostgreSQLBackend

    url = urlsplit(SERVER)
    settings_dict = {"ENGINE": "django.db.backends.postgresql", "NAME": name, "USER": url.username}
    settings_dict.update(HOST=url.hostname, PORT=str(url.port))
    return PostgreSQLBackend(ConnectionHandler({"default": settings_dict})["default"])


def test_the_file_copy_waits_for_the_sessions_the_run_just_closed_and_for_no_one_else(pg, monkeypatch):
    # A client that has closed its session (the backup's pg_dump, the run's own connection) stays
    # in pg_stat_activity until its server process exits: that must not send the rehearsal to
    # pg_dump | pg_restore. Each session below is closed right after the first look at the list.
    from orb.safemigrate.backends.postgresql import scratch

    backend, looks = _backend_on(pg.name), []
    real_sessions_on = scratch.sessions_on

    def closing_after_the_first_look(closing):
        def sessions_on(*args, **kwargs):
            found = real_sessions_on(*args, **kwargs)
            looks.append(found)
            if len(looks) == 1:
                closing.close()
            return found

        return sessions_on

    pg_dump_like = psycopg.connect(f"{SERVER}/{pg.name}", application_name="orb safe_migrate")
    pg_dump_pid = pg_dump_like.info.backend_pid
    monkeypatch.setattr(scratch, "sessions_on", closing_after_the_first_look(pg_dump_like))
    with admin() as conn:
        assert backend._other_clients(conn, closed=set()) == []
    assert [pid for pid, _ in looks[0]] == [pg_dump_pid]

    looks.clear()
    own = psycopg.connect(f"{SERVER}/{pg.name}")
    own_pid = own.info.backend_pid
    monkeypatch.setattr(scratch, "sessions_on", closing_after_the_first_look(own))
    with admin() as conn:
        assert backend._other_clients(conn, closed={own_pid}) == []
    assert [pid for pid, _ in looks[0]] == [own_pid]

    looks.clear()
    with pg.connect() as other:  # somebody else's session: counted at the first look
        monkeypatch.setattr(scratch, "sessions_on", closing_after_the_first_look(psycopg.connect(f"{SERVER}/postgres")))
        with admin() as conn:
            assert backend._other_clients(conn, closed=set()) == [other.info.backend_pid]
        assert len(looks) == 1
