"""What counts as a backup: only a file safe_migrate wrote and journaled, unchanged since.

A forged file in the backup folder (a symlink, a copy nobody journaled, a sidecar dated in
the future) is never chosen by a bare ``--restore``, is refused when named, and is listed as
not counted.  ``--restore PATH --foreign`` restores such a file only after the operator types
its name.
"""

import json
import os
import shutil
import sqlite3

import pytest

from . import dbfacts
from .conftest import assert_clean

pytestmark = pytest.mark.e2e


def forged_database(path):
    """A small SQLite file that is not this ship's database."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app TEXT, name TEXT, applied TEXT)")
        conn.execute("CREATE TABLE forged (x TEXT)")
        conn.execute("INSERT INTO forged VALUES ('planted')")
    conn.close()
    return path


def future_sidecar(backup, target):
    with open(backup + ".json", "w") as handle:
        json.dump(
            {
                "sha256": dbfacts.file_sha(target),
                "size": os.path.getsize(target),
                "created_at": "2999-01-01T00:00:00+00:00",
                "engine": "sqlite",
                "kind": "pre-migrate",
                "applied": [],
                "checksums": {},
                "verified": True,
            },
            handle,
        )


@pytest.fixture
def upgraded(project):
    """The project after one upgrade: its backup holds the original state."""
    original = project.hashes()
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    good = project.journal()[-1]["backup"]["path"]
    return project, original, good


def test_a_forged_symlink_with_a_future_sidecar_is_not_restored(upgraded, tmp_path_factory):
    project, original, good = upgraded
    target = forged_database(str(tmp_path_factory.mktemp("elsewhere") / "planted.db"))
    forged = str(project.dir / "orb.db.backup-29990101_000000")
    os.symlink(target, forged)
    future_sidecar(forged, target)

    result = project.run("safe_migrate", "--restore", "--noinput", scenario="add_column")

    last = assert_clean(result, 0)
    assert last.startswith(f"Database restored from {good}")
    assert project.hashes() == original  # the journaled backup, not the planted file
    assert "forged" not in dbfacts.schema(project.db)
    assert project.journal()[-1]["backup"]["path"] == good


def test_a_named_forged_file_is_refused_and_changes_nothing(upgraded, tmp_path_factory):
    project, original, good = upgraded
    target = forged_database(str(tmp_path_factory.mktemp("elsewhere") / "planted.db"))
    link = str(project.dir / "orb.db.backup-29990101_000000")
    os.symlink(target, link)
    future_sidecar(link, target)
    copy = str(project.dir / "orb.db.backup-20000101_000000")
    shutil.copyfile(good, copy)  # the right bytes, but safe_migrate never wrote this file
    shutil.copyfile(good + ".json", copy + ".json")
    before = project.hashes()
    for path, why in ((link, "symbolic link"), (copy, "journal")):
        result = project.run("safe_migrate", "--restore", path, "--noinput", scenario="add_column")
        last = assert_clean(result, 3)
        assert path in result.stderr and why in result.stderr and "--foreign" in result.stderr
        assert last.startswith("Database unchanged")
        assert project.hashes() == before
    # A journaled backup that others can write to is not trusted either.
    os.chmod(good, 0o666)
    result = project.run("safe_migrate", "--restore", good, "--noinput", scenario="add_column")
    assert_clean(result, 3)
    assert "writable by group or others" in result.stderr
    assert project.hashes() == before


def test_list_backups_marks_files_that_do_not_count(upgraded, tmp_path_factory):
    project, original, good = upgraded
    target = forged_database(str(tmp_path_factory.mktemp("elsewhere") / "planted.db"))
    link = str(project.dir / "orb.db.backup-29990101_000000")
    os.symlink(target, link)
    future_sidecar(link, target)
    listed = project.run("safe_migrate", "--list-backups", "--json", scenario="add_column")
    assert listed.returncode == 0, listed.stderr
    entries = {entry["path"]: entry for entry in json.loads(listed.stdout)}
    assert entries[good]["counted"] is True and entries[good]["problem"] is None
    assert entries[link]["counted"] is False and "symbolic link" in entries[link]["problem"]
    assert list(entries)[0] == good  # newest by the journal, not by the sidecar
    words = project.run("safe_migrate", "--list-backups", scenario="add_column")
    assert_clean(words, 0)
    assert "not counted" in words.stdout and "symbolic link" in words.stdout
    status = project.run("safe_migrate", "--status", "--json", scenario="add_column")
    assert json.loads(status.stdout)["latest_backup"]["path"] == good


def test_foreign_restore_needs_a_path_and_a_typed_confirmation(upgraded, tmp_path_factory):
    project, original, good = upgraded
    target = forged_database(str(tmp_path_factory.mktemp("elsewhere") / "planted.db"))
    before = project.hashes()

    usage = project.run("safe_migrate", "--restore", "--foreign", scenario="add_column")
    assert_clean(usage, 2)
    assert "--foreign" in usage.stderr
    noinput = project.run("safe_migrate", "--restore", target, "--foreign", "--noinput", scenario="add_column")
    assert_clean(noinput, 3)
    assert "interactive" in noinput.stderr
    wrong = project.run("safe_migrate", "--restore", target, "--foreign", scenario="add_column", input="yes\n")
    assert_clean(wrong, 3)
    assert "planted.db" in wrong.stderr  # the prompt names the file to type
    assert project.hashes() == before

    typed = project.run("safe_migrate", "--restore", target, "--foreign", scenario="add_column", input="planted.db\n")
    last = assert_clean(typed, 0)
    assert last.startswith(f"Database restored from {target}")
    assert dbfacts.rows(project.db, "SELECT x FROM forged") == [("planted",)]
    record = project.journal()[-1]
    assert record["mode"] == "restore" and record["foreign"] is True
    assert record["backup"]["sha256"] == dbfacts.file_sha(target)
    # The safety backup of what was replaced is a trusted backup: it restores without --foreign.
    safety = record["safety_backup"]["path"]
    back = project.run("safe_migrate", "--restore", safety, "--noinput", scenario="add_column")
    assert_clean(back, 0)
    assert project.hashes() == before


def test_foreign_restore_refuses_a_file_that_is_not_a_sound_database(upgraded, tmp_path_factory):
    project, original, good = upgraded
    junk = tmp_path_factory.mktemp("elsewhere") / "notes.txt"
    junk.write_text("not a database at all\n" * 100)
    before = project.hashes()
    result = project.run(
        "safe_migrate", "--restore", str(junk), "--foreign", scenario="add_column", input="notes.txt\n"
    )
    assert_clean(result, 3)
    assert str(junk) in result.stderr
    assert project.hashes() == before
