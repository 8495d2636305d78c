"""The `migrate` options through safe_migrate on a real PostgreSQL database (issue 20).

The same workflows as test_migrate_options.py, each test on its own database copied from the
seeded template; changes "made by hand" are SQL through psycopg, and every assertion reads the
database (django_migrations, row hashes, columns), the journal in the state dir and the dumps.
"""

import json
from pathlib import Path

import pytest

from .conftest import assert_clean

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

COMMENT = "scenario.0002_reading_comment"
INITIAL = "scenario.0001_initial"
SQUASH = "scenario.0001_squashed_0002_reading_comment"


def by_hand(pg, sql):
    with pg.connect() as conn:
        conn.execute(sql)


def sidecar(backup):
    return json.loads(Path(backup + ".json").read_text())


def test_check_run_syncdb_and_skip_checks(pg):
    hashes, applied = pg.hashes(), pg.applied()

    pending = pg.run("safe_migrate", "--check", scenario="add_column")
    assert pending.returncode == 1
    assert pending.stdout.strip().splitlines() == [
        f"Database has 1 pending migration(s) ({COMMENT}); run `manage.py safe_migrate` to apply them."
    ]
    assert pg.run("safe_migrate", "--check", scenario="base").returncode == 0  # (a scenario= sticks)
    syncdb = pg.run("safe_migrate", "--run-syncdb", "--noinput")
    assert syncdb.returncode == 2 and "--run-syncdb is not supported" in syncdb.stderr
    errors = {"ORB_EXTRA_APPS": "tests.e2e.scenarios.check_error"}
    assert pg.run("safe_migrate", "--check", **errors).returncode == 3
    assert pg.run("safe_migrate", "--check", "--skip-checks", **errors).returncode == 0

    assert pg.hashes() == hashes and pg.applied() == applied
    assert pg.journal() == [] and pg.backups() == []


def test_fake_refused_then_recorded_after_the_change_by_hand(pg):
    applied, hashes = pg.applied(), pg.hashes()

    refused = pg.run("safe_migrate", "--fake", "--noinput", scenario="add_column")
    assert_clean(refused, 3)
    assert "column scenario_reading.comment does not exist" in refused.stderr
    assert pg.applied() == applied and pg.hashes() == hashes

    by_hand(pg, 'ALTER TABLE "scenario_reading" ADD COLUMN "comment" varchar(100) NULL')
    hashes = pg.hashes()
    marked = pg.run("safe_migrate", "--fake", "--noinput", scenario="add_column")

    assert_clean(marked, 0)
    assert pg.applied() == applied | {COMMENT} and pg.hashes() == hashes
    records = pg.journal()
    assert [(r["mode"], r["outcome"]) for r in records] == [("fake", "refused"), ("fake", "applied")]
    assert records[-1]["faked"] == [COMMENT]
    backups = pg.backups()
    assert len(backups) == 2 and records[-1]["backup"]["path"] == backups[-1]
    assert COMMENT not in sidecar(backups[-1])["applied"]


def test_rollback_never_undoes_a_fake(pg):
    assert_clean(pg.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    assert_clean(pg.run("safe_migrate", "--fake", "scenario", "0001", "--noinput", scenario="add_column"), 0)
    applied = pg.applied()
    assert COMMENT not in applied and "comment" in pg.columns("scenario_reading")

    rollback = pg.run("safe_migrate", "--rollback", "--noinput", scenario="add_column")

    assert_clean(rollback, 3)
    assert "never undoes a fake" in rollback.stderr
    assert pg.applied() == applied and "comment" in pg.columns("scenario_reading")


def test_fake_initial_adopts_a_table_that_exists(pg):
    by_hand(pg, "DELETE FROM django_migrations WHERE app = 'scenario' AND name = '0001_initial'")
    applied, hashes = pg.applied(), pg.hashes()

    result = pg.run("safe_migrate", "--fake-initial", "--noinput")

    assert_clean(result, 0)
    assert f"Applying {INITIAL}... FAKED" in result.stdout
    assert pg.applied() == applied | {INITIAL} and pg.hashes() == hashes
    record = pg.journal()[-1]
    assert record["mode"] == "fake" and record["fake_initial"] and record["faked"] == [INITIAL]
    assert record["backup"]["path"] == pg.backups()[-1]


def test_prune_after_a_squash(pg):
    assert_clean(pg.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    hashes = pg.hashes()

    assert_clean(pg.run("safe_migrate", "--prune", "--noinput", scenario="squashed"), 3)
    assert {INITIAL, COMMENT} <= pg.applied()

    pruned = pg.run("safe_migrate", "--prune", "--noinput", scenario="squashed_final")

    assert_clean(pruned, 0)
    assert not {INITIAL, COMMENT} & pg.applied() and pg.hashes() == hashes
    record = pg.journal()[-1]
    assert record["mode"] == "prune-records" and record["pruned"] == [INITIAL, COMMENT]
    assert record["backup"]["path"] == pg.backups()[-1]
    assert {INITIAL, COMMENT} <= set(sidecar(pg.backups()[-1])["applied"])
    assert_clean(pg.run("safe_migrate", "--fake-initial", "--noinput", scenario="squashed_final"), 0)
    assert SQUASH in pg.applied() and pg.hashes() == hashes
    assert pg.run("safe_migrate", "--check", scenario="squashed_final").returncode == 0
