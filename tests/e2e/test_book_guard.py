"""safe_migrate guards the book (issue 13): the hash chain is verified inside the migration's
transaction before COMMIT. A plan that changes a signed entry fails and leaves the database file
byte-identical; a book already broken before the run is reported loudly and journaled."""

import sqlite3

import pytest

from . import dbfacts
from .conftest import assert_clean

pytestmark = pytest.mark.e2e

SIGN_TWO_ENTRIES = """
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from orb.models import UserProfile
from soundings.models import OrbEntry
user = User.objects.create_user("chief", password="pw-chief", first_name="A.", last_name="Chief")
UserProfile.objects.update_or_create(user=user, defaults={"rank": "Chief Engineer"})
for hours in (3, 2):
    entry = OrbEntry.objects.create(
        code="C", item="11.1", text=f"Retained on board {hours}", instant=timezone.now() - timedelta(hours=hours)
    )
    entry.sign(user=user, password="pw-chief")
print(list(OrbEntry.objects.filter(state="signed").order_by("sequence").values_list("sequence", flat=True)))
"""


def sign_entries(project):
    result = project.run("shell", "-c", SIGN_TWO_ENTRIES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[1, 2]", result.stdout


def test_a_plan_that_changes_a_signed_entry_fails_and_the_file_is_unchanged(project):
    sign_entries(project)
    assert project.run("verify_orb").returncode == 0
    before = dbfacts.file_sha(project.db)

    result = project.run("safe_migrate", "--noinput", scenario="rewrite_entry")

    last = assert_clean(result, 1)
    assert "scenario.0002_rewrite_signed_entry" in result.stderr
    assert "signed entry 1" in result.stderr and "text" in result.stderr, result.stderr
    assert last.startswith("Database unchanged"), last
    assert dbfacts.file_sha(project.db) == before
    assert "scenario.0002_rewrite_signed_entry" not in project.applied()
    record = project.journal()[-1]
    assert record["outcome"] == "failed"
    assert "signed entry 1" in record["error"] and "scenario.0002_rewrite_signed_entry" in record["error"]
    assert project.run("verify_orb").returncode == 0


def test_a_book_broken_before_the_run_is_reported_loudly_and_journaled(project):
    sign_entries(project)
    with sqlite3.connect(project.db) as db:
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='soundings_orbentry'"
        ):
            db.execute(f'DROP TRIGGER "{name}"')
        db.execute("UPDATE soundings_orbentry SET text = 'changed by hand' WHERE sequence = 2")
    db.close()
    assert project.run("verify_orb").returncode == 1

    result = project.run("safe_migrate", "--noinput", scenario="add_column")

    assert_clean(result, 0)
    # A warning is printed at every verbosity (on stdout with the run's other lines; stderr with --json).
    [warning] = [line for line in result.stdout.splitlines() if line.startswith("Warning:")]
    assert "already broken" in warning and "signed entry 2" in warning, result.stdout
    assert "book broken (broken before the run)" in result.stdout
    record = project.journal()[-1]
    assert record["outcome"] == "applied"
    assert "signed entry 2" in record["book_before"] and "text" in record["book_before"]
    assert any("already broken" in warning for warning in record["warnings"])
    assert "scenario.0002_reading_comment" in project.applied()


def test_an_intact_book_is_verified_and_journaled(project):
    sign_entries(project)
    result = project.run("safe_migrate", "--noinput", scenario="add_column")
    assert_clean(result, 0)
    record = project.journal()[-1]
    assert record["book"] == "verified" and record["book_before"] is None
    assert "smoke 1 passed, book verified." in result.stdout


def test_a_dry_run_rehearses_the_same_book_check(project):
    sign_entries(project)
    before = dbfacts.file_sha(project.db)
    result = project.run("safe_migrate", "--dry-run", "--noinput", scenario="rewrite_entry")
    assert_clean(result, 1)
    assert "rehearsal" in result.stderr and "signed entry 1" in result.stderr, result.stderr
    assert dbfacts.file_sha(project.db) == before


SIGN_ONE_MORE = """
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from soundings.models import OrbEntry
instant = timezone.now() - timedelta(hours=1)
entry = OrbEntry.objects.create(code="C", item="11.2", text="Signed after the backup", instant=instant)
entry.sign(user=User.objects.get(username="chief"), password="pw-chief")
print(entry.sequence)
"""


def test_restore_of_a_backup_that_lacks_entries_signed_since_is_refused(project):
    sign_entries(project)
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    backup = project.journal()[-1]["backup"]["path"]
    backup_sha = dbfacts.file_sha(backup)
    signed = project.run("shell", "-c", SIGN_ONE_MORE)
    assert signed.returncode == 0 and signed.stdout.strip().splitlines()[-1] == "3", signed.stderr
    before = dbfacts.file_sha(project.db)

    refused = project.run("safe_migrate", "--restore", backup, "--noinput")

    assert_clean(refused, 3)
    assert "lacks what was signed since it was taken: signed ORB entry 3 (" in refused.stderr, refused.stderr
    assert "entry 1" not in refused.stderr and "entry 2" not in refused.stderr
    assert "--allow-data-loss" in refused.stderr
    assert dbfacts.file_sha(project.db) == before
    assert dbfacts.file_sha(backup) == backup_sha  # read in place, not a byte changed
    record = project.journal()[-1]
    assert record["mode"] == "restore" and record["outcome"] == "refused"

    allowed = project.run("safe_migrate", "--restore", backup, "--noinput", "--allow-data-loss")

    assert_clean(allowed, 0)
    assert "takes out what was signed since it was taken: signed ORB entry 3 (" in allowed.stdout, allowed.stdout
    record = project.journal()[-1]
    assert record["outcome"] == "applied"
    assert dbfacts.content_hashes(record["safety_backup"]["path"]) != project.hashes()
    assert project.run("verify_orb").returncode == 0


def test_restore_of_a_backup_holding_every_signed_entry_is_not_asked_about_them(project):
    sign_entries(project)
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    backup = project.journal()[-1]["backup"]["path"]
    result = project.run("safe_migrate", "--restore", backup, "--noinput")
    assert_clean(result, 0)
    assert "signed" not in result.stdout + result.stderr


@pytest.mark.postgres
def test_postgresql_restore_of_a_dump_that_lacks_entries_signed_since_is_refused(pg):
    """A dump cannot be read in place: it is restored into a marked scratch database to compare
    the signed entries, and that database is dropped afterwards."""
    sign_entries(pg)
    assert_clean(pg.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    backup = pg.journal()[-1]["backup"]["path"]
    signed = pg.run("shell", "-c", SIGN_ONE_MORE)
    assert signed.returncode == 0 and signed.stdout.strip().splitlines()[-1] == "3", signed.stderr
    before = pg.hashes()

    refused = pg.run("safe_migrate", "--restore", backup, "--noinput", scenario="add_column")

    assert_clean(refused, 3)
    assert "lacks what was signed since it was taken: signed ORB entry 3 (" in refused.stderr, refused.stderr
    assert pg.hashes() == before
    assert pg.scratch() == []
    allowed = pg.run("safe_migrate", "--restore", backup, "--noinput", "--allow-data-loss", scenario="add_column")
    assert_clean(allowed, 0)
    assert pg.rows("SELECT max(sequence) FROM soundings_orbentry")[0][0] == 2
    assert pg.scratch() == []
