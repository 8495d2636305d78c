"""Scheduled backups (`manage.py backup_orb`) and the off-ship copy (`manage.py export_backup`),
on a real SQLite file and a real PostgreSQL database, asserted on the databases afterwards."""

import json
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from . import dbfacts
from .conftest import Gate, assert_clean, finish

pytestmark = pytest.mark.e2e


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr
    return result


def insert_reading(db, name):
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO scenario_reading (name, value, note) VALUES (?, 1, NULL)", (name,))
    conn.close()


def sidecar_of(path):
    with open(path + ".json") as handle:
        return json.load(handle)


def listed(project):
    return json.loads(ok(project.run("safe_migrate", "--list-backups", "--json")).stdout)


# --- backup_orb, SQLite --------------------------------------------------------------------------
def test_backup_orb_is_a_safe_migrate_backup_that_restore_brings_back(project):
    taken = project.hashes()
    result = ok(project.run("backup_orb"))
    record = project.journal()[-1]
    assert record["mode"] == "backup" and record["outcome"] == "applied"
    path = record["backup"]["path"]
    assert result.stdout.strip().splitlines()[-1].startswith(f"Database unchanged; backup {path} written and verified")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert dbfacts.file_sha(path) == record["backup"]["sha256"]
    assert dbfacts.content_hashes(path) == taken and dbfacts.quick_check(path) == "ok"
    sidecar = sidecar_of(path)
    assert sidecar["kind"] == "scheduled" and sidecar["sha256"] == record["backup"]["sha256"]
    assert sidecar["applied"] == sorted(project.applied())
    [entry] = listed(project)
    assert entry["path"] == path and entry["counted"] and entry["kind"] == "scheduled"

    insert_reading(project.db, "written after the backup")
    assert project.hashes() != taken
    last = assert_clean(project.run("safe_migrate", "--restore", "--noinput"), 0)
    assert last.startswith(f"Database restored from {path}")
    assert project.hashes() == taken


def test_keep_prunes_by_safe_migrates_rules(project):
    for _ in range(3):
        ok(project.run("backup_orb", "--keep", "2"))
    backups = [r["backup"]["path"] for r in project.journal() if r["mode"] == "backup"]
    assert len(backups) == 3
    assert project.backups() == sorted(backups[1:])  # the oldest was deleted, with its sidecar
    assert not os.path.exists(backups[0] + ".json")
    prunes = [r for r in project.journal() if r["mode"] == "prune"]
    assert prunes[-1]["deleted"] == [backups[0]]


def test_keep_below_one_is_a_usage_error(project):
    result = project.run("backup_orb", "--keep", "0")
    assert result.returncode == 2 and "--keep needs N of at least 1" in result.stderr
    assert project.backups() == [] and project.journal() == []


def test_refused_while_a_migration_holds_the_lock(project, tmp_path):
    gate = Gate(tmp_path / "gate")
    run = project.popen("safe_migrate", "--noinput", ORB_SCENARIO="slow", **gate.env())
    try:
        gate.wait_reached(run)
        result = project.run("backup_orb", scenario="slow")
    finally:
        gate.release()
        finish(run)
    assert result.returncode == 3 and "holds the lock" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert project.journal()[-1]["mode"] == "upgrade"  # the refusal was journaled before the run's record
    assert [r["outcome"] for r in project.journal() if r["mode"] == "backup"] == ["refused"]


WRITER = """
import os, sqlite3, sys
db, stop = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db, timeout=30)
n = 0
while not os.path.exists(stop):
    with conn:
        conn.execute("INSERT INTO scenario_reading (name, value, note) VALUES ('writer', ?, NULL)", (n,))
    n += 1
    if n == 1:
        print("committed", flush=True)
print(n, flush=True)
"""


def test_backup_while_the_app_writes(project, tmp_path):
    """A writer commits rows in a loop during the backup: the backup is a consistent snapshot
    (it verifies and holds a prefix of the writer's rows), and no committed row is lost."""
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, project.db, str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "committed"
        result = project.run("backup_orb")
    finally:
        stop.touch()
        written = int(writer.communicate(timeout=60)[0].split()[-1])
    ok(result)
    path = project.journal()[-1]["backup"]["path"]
    assert dbfacts.quick_check(path) == "ok"
    in_backup = [v for (v,) in dbfacts.rows(path, "SELECT value FROM scenario_reading WHERE name='writer'")]
    assert in_backup == list(range(len(in_backup))) and 1 <= len(in_backup) <= written
    live = [v for (v,) in dbfacts.rows(project.db, "SELECT value FROM scenario_reading WHERE name='writer'")]
    assert live == list(range(written))


# --- backup_orb, PostgreSQL ----------------------------------------------------------------------
@pytest.mark.postgres
def test_backup_orb_on_postgresql_then_restore(pg):
    before = pg.hashes()
    ok(pg.run("backup_orb", "--keep", "1"))
    record = [r for r in pg.journal() if r["mode"] == "backup"][-1]
    [path] = pg.backups()
    assert record["backup"]["path"] == path and path.endswith(".dump")
    assert sidecar_of(path)["kind"] == "scheduled"
    [entry] = listed(pg)
    assert entry["path"] == path and entry["counted"]
    with pg.connect() as conn:
        conn.execute("INSERT INTO scenario_reading (name, value) VALUES ('later', 1)")
    assert pg.hashes() != before
    last = assert_clean(pg.run("safe_migrate", "--restore", "--noinput"), 0)
    assert last.startswith(f"Database restored from {path}")
    assert pg.hashes() == before


# --- export_backup ---------------------------------------------------------------------------------
def export(project, stick):
    """backup_orb, then export_backup to ``stick``; the new folder and the copied backup's path."""
    ok(project.run("backup_orb"))
    result = ok(project.run("export_backup", str(stick)))
    [folder] = list(stick.glob("orb-export-*"))
    assert result.stdout.strip().splitlines()[-1].startswith(f"Database unchanged; exported to {folder}")
    original = project.journal()[-1]["backup"]["path"]
    copy = folder / os.path.basename(original)
    return folder, copy, original


def test_export_copies_the_newest_verified_backup_with_a_readme(project, tmp_path):
    stick = tmp_path / "usb"
    stick.mkdir()
    folder, copy, original = export(project, stick)
    assert dbfacts.file_sha(str(copy)) == dbfacts.file_sha(original) == project.journal()[-1]["backup"]["sha256"]
    assert sidecar_of(str(copy)) == sidecar_of(original)
    readme = (folder / "README.txt").read_text()
    assert dbfacts.file_sha(original) in readme and f"--restore /path/to/{copy.name} --foreign" in readme
    assert original in readme  # where to put it back on the same box
    names = sorted(p.name for p in folder.iterdir())
    assert not any(".partial" in name for name in names)
    book = [name for name in names if name.startswith("orb-book.")]
    assert book in ([], ["orb-book.csv", "orb-book.pdf"])  # the book export, when the release has export_orb


def test_export_without_a_verified_backup_is_refused(project, tmp_path):
    result = project.run("export_backup", str(tmp_path))
    assert result.returncode == 3 and "There is no verified backup to export" in result.stderr
    assert list(tmp_path.glob("orb-export-*")) == []
    missing = project.run("export_backup", str(tmp_path / "not-mounted"))
    assert missing.returncode == 2 and "is not a folder; mount the USB stick" in missing.stderr


def test_export_skips_a_damaged_backup_for_the_newest_that_verifies(project, tmp_path):
    ok(project.run("backup_orb"))
    good = project.journal()[-1]["backup"]
    ok(project.run("backup_orb"))
    damaged = project.journal()[-1]["backup"]["path"]
    with open(damaged, "r+b") as handle:
        handle.seek(200)
        handle.write(b"\xff" * 64)
    ok(project.run("export_backup", str(tmp_path)))
    [folder] = list(tmp_path.glob("orb-export-*"))
    copied = [p.name for p in folder.glob("orb.db.backup-*") if p.suffix != ".json"]
    assert copied == [os.path.basename(good["path"])]


def test_restore_from_the_exported_copy_on_a_new_box(project, tmp_path):
    """The ship's box is lost: a new box is installed (first migration) and the copy on the stick
    is restored as a file from elsewhere (--foreign, its name typed), as README.txt says."""
    stick = tmp_path / "usb"
    stick.mkdir()
    taken = project.hashes()
    _, copy, _ = export(project, stick)
    new_box = type(project)(tmp_path / "new-box")
    new_box.dir.mkdir()
    assert_clean(new_box.run("safe_migrate", "--noinput"), 0)
    assert new_box.hashes() != taken
    result = new_box.run("safe_migrate", "--restore", str(copy), "--foreign", input=copy.name + "\n")
    last = assert_clean(result, 0)
    assert last.startswith(f"Database restored from {copy}")
    assert new_box.hashes() == taken and dbfacts.quick_check(new_box.db) == "ok"
    assert dbfacts.file_sha(str(copy)) == project.journal()[-1]["backup"]["sha256"]  # the stick is read, never written


def put_back(copy, original):
    """README.txt, same box: copy the file back where the journal says it was, mode 0600."""
    with open(copy, "rb") as src, open(os.open(original, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(src.read())


def test_restore_from_the_exported_copy_on_the_same_box(project, tmp_path):
    """The backup on the box was lost (a bad sector, deleted by hand): the copy from the stick is
    put back where the journal says it was, and then it counts and restores as before."""
    taken = project.hashes()
    _, copy, original = export(project, tmp_path)
    os.unlink(original)
    insert_reading(project.db, "written after the backup")
    put_back(copy, original)
    last = assert_clean(project.run("safe_migrate", "--restore", os.path.basename(original), "--noinput"), 0)
    assert last.startswith(f"Database restored from {original}")
    assert project.hashes() == taken


@pytest.mark.postgres
def test_export_and_restore_from_the_copy_on_postgresql(pg, tmp_path):
    stick = tmp_path / "usb"
    stick.mkdir()
    before = pg.hashes()
    folder, copy, original = export(pg, stick)
    assert copy.name.endswith(".dump") and dbfacts.file_sha(str(copy)) == dbfacts.file_sha(original)
    assert "Restore by hand" in (folder / "README.txt").read_text()
    os.unlink(original)
    with pg.connect() as conn:
        conn.execute("INSERT INTO scenario_reading (name, value) VALUES ('later', 1)")
    put_back(copy, original)
    last = assert_clean(pg.run("safe_migrate", "--restore", "--noinput"), 0)
    assert last.startswith(f"Database restored from {original}")
    assert pg.hashes() == before


SIGN_A_SOUNDING = """
from datetime import datetime, UTC
from django.contrib.auth.models import User
from orb.models import UserProfile
from soundings.models import Tank, WeeklySounding
user = User.objects.create_user(username="smith", password="a-long-enough-password-1", is_staff=True,
                                first_name="J.", last_name="Smith")
UserProfile.objects.update_or_create(user=user, defaults={"rank": "2nd Engineer"})
sounding = WeeklySounding(tank=Tank.objects.get(designation="17S"), feet=1, inches=0,
                          recorded_at=datetime(2025, 3, 16, 10, 0, tzinfo=UTC),
                          engineer_name="J. Smith", engineer_title="2nd Engineer")
sounding.save()
for entry in sorted(sounding.entries.all(), key=lambda e: e.pk):
    entry.sign(user=user, password="a-long-enough-password-1")
"""


def test_export_holds_the_book_as_pdf_and_csv(project, tmp_path):
    ok(project.run("load_sounding_tables"))
    ok(project.run("shell", "-c", SIGN_A_SOUNDING))
    stick = tmp_path / "usb"
    stick.mkdir()
    folder, _, _ = export(project, stick)
    assert (folder / "orb-book.pdf").read_bytes().startswith(b"%PDF")
    csv = (folder / "orb-book.csv").read_text()
    assert len(csv.strip().splitlines()) >= 2  # a header and the signed entries
    readme = (folder / "README.txt").read_text()
    assert "orb-book.pdf\n    The book as it stood" in readme and "not exported" not in readme
