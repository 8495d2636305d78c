"""``manage.py import_flask_orb`` as the operator runs it: a subprocess on a real SQLite file (and
one run on PostgreSQL), with the old database written by tests/flask_import/oldschema.py, and
assertions on the database afterwards (issue 16)."""

import hashlib
import json
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from tests.flask_import import oldschema

from . import dbfacts
from .conftest import Gate, Project, assert_clean, finish
from .pg import PgProject, admin, databases, drop_database

pytestmark = pytest.mark.e2e

SIGN_AN_ENTRY = """
from django.contrib.auth.models import User
from orb.models import UserProfile
from soundings.models import OrbEntry
user = User.objects.create_user("chief", password="a long password 123")
UserProfile.objects.update_or_create(user=user, defaults={"rank": "Chief Engineer"})
entry = OrbEntry(code="I", text="Made in this project.")
entry.save()
entry.sign(user=user, password="a long password 123")
"""


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """An empty database at the code's migrations (no tanks, no entries), made once."""
    project = Project(tmp_path_factory.mktemp("import-template"))
    assert_clean(project.run("safe_migrate", "--noinput"), 0)
    return project


@pytest.fixture
def target(tmp_path, migrated_template):
    shutil.copyfile(migrated_template.db, tmp_path / "orb.db")
    return Project(tmp_path)


def old_file(directory, **kwargs):
    path = str(Path(directory) / "flask-orb.db")
    return path, oldschema.write(path, **kwargs)


def run_json(project, *args, code=0):
    """A --json run: one JSON document on stdout, the state line last on stderr."""
    result = project.run(*args, "--json")
    assert result.returncode == code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Database")
    return json.loads(result.stdout)


def provenance(db):
    """{(old table, old id): (outcome, became)} read from the target database."""
    rows = dbfacts.rows(db, "SELECT old_table, old_id, outcome, became FROM flaskimport_importedrow")
    return {(t, i): (o, b) for t, i, o, b in rows}


def assert_matches(report, expected):
    for table, count in expected.rows.items():
        counts = report["tables"][table]
        assert counts["read"] == count, table
        flagged = {r["old_id"] for r in counts["reasons"] if r["outcome"] == "flagged"}
        skipped = {r["old_id"] for r in counts["reasons"] if r["outcome"] == "skipped"}
        assert flagged == expected.flagged.get(table, set()), table
        assert skipped == expected.skipped.get(table, set()), table
        assert counts["imported"] + counts["flagged"] + counts["skipped"] == count, table


@pytest.mark.parametrize("age", ["oldest", "later", "latest"])
def test_each_installation_age_imports_with_counts_that_match(target, tmp_path, age):
    path, expected = old_file(tmp_path, age=age)
    before = sha256(path)
    document = run_json(target, "import_flask_orb", path, "--noinput")
    assert document["mode"] == "import" and document["outcome"] == "applied"
    assert_matches(document["report"], expected)
    assert sha256(path) == before, "the old file must stay byte-identical"

    db = target.db
    rows = provenance(db)
    assert len(rows) == sum(expected.rows.values())  # every old row is in the import record
    assert {t for t, _ in rows} == set(expected.rows)
    # The book: every entry verbatim (text, code, date as written), a legacy signed entry, in the old order.
    entries = {
        int(pk): (text, code, day, legacy, state, seq)
        for pk, text, code, day, legacy, state, seq in dbfacts.rows(
            db, "SELECT id, text, code, entry_date, legacy, state, sequence FROM soundings_orbentry"
        )
    }
    imported = []
    for old_id, code, day, text in expected.entry_texts:
        outcome, became = rows[("orb_entries", old_id)]
        if outcome == "skipped":
            assert not became
            continue
        pk = int(became.split(":")[1])
        stored_text, stored_code, stored_day, legacy, state, seq = entries[pk]
        assert (stored_text, stored_code, stored_day) == (text, code, day[:10])
        assert legacy == 1 and state == "signed"
        imported.append((day[:10], old_id, seq))
    assert [seq for _, _, seq in sorted(imported)] == list(range(1, len(imported) + 1))
    assert dbfacts.count(db, "soundings_weeklysounding") == document["rows_written"]["soundings.weeklysounding"]
    verify = target.run("verify_orb", "--json")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["chain"]["entries"] == len(imported)
    # Journaled like a migration, with a verified backup that --list-backups counts.
    journal = target.journal()
    assert journal[-1]["mode"] == "import" and journal[-1]["outcome"] == "applied"
    listed = json.loads(target.run("safe_migrate", "--list-backups", "--json").stdout)
    assert journal[-1]["backup"]["path"] in {b["path"] for b in listed if b["counted"]}
    assert "import  applied" in target.run("safe_migrate", "--history").stdout


def test_the_awkward_values_are_read_as_written(target, tmp_path):
    path, _ = old_file(tmp_path, age="latest")
    assert_clean(target.run("import_flask_orb", path, "--noinput"), 0)
    db = target.db
    # 1606.9999999 gal (a float) is 1607.00 gal; a sounding beyond the table keeps the old tool's volume.
    assert ("1607",) in [
        (str(g).rstrip("0").rstrip("."),) for (g,) in dbfacts.rows(db, "SELECT gallons FROM soundings_weeklysounding")
    ]
    beyond = dbfacts.rows(
        db,
        "SELECT feet, inches, gallons, calibration_version_id FROM soundings_weeklysounding "
        "WHERE feet = 3 AND inches = 2",
    )
    assert beyond == [(3, 2, 1650, None)]
    # Datetimes with T or space, with Z, +00:00 or no zone, all land on 08:00 UTC.
    times = {t[11:16] for (t,) in dbfacts.rows(db, "SELECT recorded_at FROM soundings_weeklysounding")}
    assert times == {"08:00", "15:30"}
    kinds = dict(dbfacts.rows(db, "SELECT kind, COUNT(*) FROM soundings_weeklysounding GROUP BY kind"))
    assert kinds["ad-hoc"] == 2
    # A ticket's meter readings rounded to the tenth; consumption is end minus start.
    tickets = dbfacts.rows(db, "SELECT meter_start, meter_end, consumption_gallons FROM fueltickets_dailyfuelticket")
    assert all(round(end - start, 1) == round(burned, 1) for start, end, burned in tickets)
    assert dbfacts.rows(db, "SELECT MIN(meter_start) FROM fueltickets_dailyfuelticket") == [(12000.0,)]
    # Pairs keep their times; the last one stays active.
    pairs = dbfacts.rows(
        db, "SELECT label, deactivated_at IS NULL FROM fueltickets_servicetankpair ORDER BY activated_at"
    )
    assert pairs == [("13", 0), ("14", 1)]
    hitches = dbfacts.rows(db, "SELECT is_start, lube_oil_16p FROM fueltickets_hitchrecord ORDER BY date")
    assert hitches == [(1, 299), (0, 299)]


def test_a_dry_run_changes_nothing_and_a_second_run_adds_nothing(target, tmp_path):
    path, _ = old_file(tmp_path, age="later")
    before_db, before_old = sha256(target.db), sha256(path)
    result = target.run("import_flask_orb", path, "--dry-run")
    last = assert_clean(result, 0)
    assert last.startswith("Database unchanged (dry run)")
    assert sha256(target.db) == before_db and sha256(path) == before_old
    assert target.backups() == []  # nothing committed, nothing to back up
    assert not list(Path(target.dir).glob("orb.db.rehearsal-*"))  # the copy it ran on is gone
    assert target.journal()[-1]["outcome"] == "rehearsed"

    assert_clean(target.run("import_flask_orb", path, "--noinput"), 0)
    hashes = target.hashes()
    again = target.run("import_flask_orb", path, "--noinput")
    last = assert_clean(again, 0)
    assert "already imported" in last and "nothing added" in last
    assert target.hashes() == hashes
    assert target.journal()[-1]["outcome"] == "nothing-to-do"
    assert sha256(path) == before_old


def test_what_is_not_the_flask_database_is_refused(target, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all\n" * 100)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE readings (id INTEGER PRIMARY KEY, value REAL)")
    conn.close()
    before = sha256(target.db)
    for path, words in ((text, "is not a database file"), (other, "not the Flask ORB tool's")):
        result = target.run("import_flask_orb", str(path), "--noinput")
        assert_clean(result, 3)
        assert words in result.stderr
    missing = target.run("import_flask_orb", str(tmp_path / "nowhere.db"))
    assert_clean(missing, 2)
    assert sha256(target.db) == before


def test_another_file_needs_append_and_noinput(target, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, _ = old_file(tmp_path / "a", age="oldest", weeks=6)
    second, _ = old_file(tmp_path / "b", age="oldest", weeks=8, start=oldschema.date(2023, 1, 2))
    assert_clean(target.run("import_flask_orb", first, "--noinput"), 0)
    hashes = target.hashes()
    refused = target.run("import_flask_orb", second, "--noinput")
    assert_clean(refused, 3)
    assert "--append --noinput" in refused.stderr
    assert target.hashes() == hashes
    declined = target.run("import_flask_orb", second, "--append", input="no\n")
    assert_clean(declined, 3)
    assert target.hashes() == hashes
    assert_clean(target.run("import_flask_orb", second, "--append", "--noinput"), 0)
    assert target.run("verify_orb").returncode == 0
    files = dbfacts.rows(target.db, "SELECT COUNT(DISTINCT source_sha256) FROM flaskimport_importrun")
    assert files == [(2,)]


def test_a_book_with_entries_made_here_is_refused(target, tmp_path):
    shell = target.run("shell", "-c", SIGN_AN_ENTRY)
    assert shell.returncode == 0, shell.stderr
    path, _ = old_file(tmp_path, age="oldest", weeks=6)
    hashes = target.hashes()
    result = target.run("import_flask_orb", path, "--noinput")
    assert_clean(result, 3)
    assert "renumbering signed entries" in result.stderr
    assert target.hashes() == hashes


@pytest.fixture
def empty_pg(tmp_path):
    """A PostgreSQL database migrated by safe_migrate and nothing else (the shared template is seeded
    with an active tank pair, which an import rightly does not replace)."""
    name = f"orb_e2e_import_{uuid.uuid4().hex[:8]}"
    project = PgProject(tmp_path / "pg", name=name)
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    assert_clean(project.run("safe_migrate", "--noinput"), 0)
    yield project
    for leftover in [name, *databases(f"{name}_orb_")]:
        drop_database(leftover)


@pytest.mark.postgres
def test_import_on_postgresql(empty_pg, tmp_path):
    pg = empty_pg
    path, expected = old_file(tmp_path, age="latest")
    hashes, backups = pg.hashes(), pg.backups()
    rehearsed = run_json(pg, "import_flask_orb", path, "--dry-run")
    assert rehearsed["outcome"] == "rehearsed" and rehearsed["report"]["totals"]["read"] == sum(expected.rows.values())
    assert pg.hashes() == hashes and pg.scratch() == [] and pg.backups() == backups
    assert_matches(run_json(pg, "import_flask_orb", path, "--noinput")["report"], expected)
    entries = pg.rows("SELECT COUNT(*) FROM soundings_orbentry WHERE legacy AND state = 'signed'")[0][0]
    imported = len([1 for e in expected.entry_texts if e[0] not in expected.skipped.get("orb_entries", set())])
    assert entries == imported
    assert pg.run("verify_orb").returncode == 0
    record = pg.journal()[-1]
    assert record["mode"] == "import" and pg.backups() == sorted([*backups, record["backup"]["path"]])
    assert pg.rows("SELECT COUNT(*) FROM flaskimport_importedrow")[0][0] == sum(expected.rows.values())


def test_refused_while_a_migration_holds_the_lock(project, tmp_path):
    """safe_migrate's lock: an import never runs beside a migration (nor a migration beside it)."""
    path, _ = old_file(tmp_path, age="oldest", weeks=6)
    gate = Gate(tmp_path / "gate")
    migration = project.popen("safe_migrate", "--noinput", ORB_SCENARIO="slow", **gate.env())
    try:
        gate.wait_reached(migration)
        refused = project.run("import_flask_orb", path, "--noinput", scenario="slow")
        assert_clean(refused, 3)
        assert f"pid {migration.pid}" in refused.stderr and "holds the lock" in refused.stderr
        assert project.journal()[-1]["mode"] == "import" and project.journal()[-1]["outcome"] == "refused"
    finally:
        gate.release()
        out, err = finish(migration)
    assert migration.returncode == 0, err
    assert dbfacts.count(project.db, "flaskimport_importedrow") == 0
    assert_clean(project.run("import_flask_orb", path, "--noinput", scenario="slow"), 0)
    assert project.run("verify_orb").returncode == 0


def test_a_newer_copy_appended_adds_only_the_rows_it_did_not_have(target, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    older, _ = old_file(tmp_path / "a", age="oldest", weeks=6, awkward=False)
    newer, expected = old_file(tmp_path / "b", age="oldest", weeks=8, awkward=False)
    assert_clean(target.run("import_flask_orb", older, "--noinput"), 0)
    document = run_json(target, "import_flask_orb", newer, "--append", "--noinput")
    soundings = document["report"]["tables"]["weekly_soundings"]
    assert (soundings["imported"], soundings["skipped"]) == (2, 6)
    assert all("already imported" in r["reason"] for r in soundings["reasons"])
    assert dbfacts.count(target.db, "soundings_weeklysounding") == 16
    assert dbfacts.count(target.db, "soundings_orbentry") == expected.rows["orb_entries"] == 16
    # The new entries point at the new soundings; the book verifies and is numbered 1..16.
    linked = dbfacts.rows(target.db, "SELECT COUNT(*) FROM soundings_orbentry WHERE sounding_id IS NOT NULL")
    assert linked == [(16,)]
    assert dbfacts.rows(target.db, "SELECT MIN(sequence), MAX(sequence) FROM soundings_orbentry") == [(1, 16)]
    assert target.run("verify_orb").returncode == 0


def test_rows_the_import_did_not_write_fail_the_check_and_everything_rolls_back(target, tmp_path):
    """The check before COMMIT: a handler that writes behind the import's back (test app
    stray_writer) makes the counts differ from the report; the import rolls back, exit 1."""
    path, _ = old_file(tmp_path, age="oldest", weeks=6)
    hashes = target.hashes()
    result = target.run("import_flask_orb", path, "--noinput", ORB_EXTRA_APPS="tests.flask_import.stray_writer")
    last = assert_clean(result, 1)
    assert last == "Database unchanged (the transaction was rolled back)."
    assert "new rows but the import wrote 0" in result.stderr
    assert target.hashes() == hashes
    record = target.journal()[-1]
    assert record["mode"] == "import" and record["outcome"] == "failed"


def test_undoing_an_import_is_a_restore_of_its_backup_that_asks_for_allow_data_loss(target, tmp_path):
    path, _ = old_file(tmp_path, age="oldest", weeks=6)
    before = target.hashes()
    assert_clean(target.run("import_flask_orb", path, "--noinput"), 0)
    backup = target.journal()[-1]["backup"]["path"]
    refused = target.run("safe_migrate", "--restore", backup, "--noinput")
    assert_clean(refused, 3)
    assert "signed ORB entry 1" in refused.stderr
    assert_clean(target.run("safe_migrate", "--restore", backup, "--noinput", "--allow-data-loss"), 0)
    assert target.hashes() == before
