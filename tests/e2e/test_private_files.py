"""Backups, sidecars, journal and lock are private (0600) in private folders (0700); a
folder others can write to is refused; the journal is never followed through a symlink."""

import os
import stat

import pytest

from .conftest import assert_clean

pytestmark = pytest.mark.e2e


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_backups_sidecars_and_journal_are_0600_in_a_0700_backup_dir(project, tmp_path):
    backup_dir = tmp_path / "new" / "backups"
    assert_clean(project.run("safe_migrate", "--noinput", "--backup-dir", str(backup_dir), scenario="add_column"), 0)
    backup = project.journal()[-1]["backup"]["path"]
    assert os.path.dirname(backup) == str(backup_dir)
    assert mode(backup_dir) == 0o700
    assert mode(backup) == 0o600 and mode(backup + ".json") == 0o600
    assert mode(project.db + ".safe_migrate.journal.jsonl") == 0o600
    assert sorted(os.listdir(backup_dir)) == sorted([os.path.basename(backup), os.path.basename(backup) + ".json"])
    # The restore's safety backup too.
    assert_clean(
        project.run(
            "safe_migrate", "--restore", backup, "--noinput", "--backup-dir", str(backup_dir), scenario="add_column"
        ),
        0,
    )
    safety = project.journal()[-1]["safety_backup"]["path"]
    assert mode(safety) == 0o600 and mode(safety + ".json") == 0o600


def test_the_byte_copy_of_a_damaged_database_and_its_wal_are_0600(project):
    import sqlite3

    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    good = project.journal()[-1]["backup"]["path"]
    writer = sqlite3.connect(project.db)  # keeps a -wal beside the database while the restore runs
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    with writer:
        writer.execute("INSERT INTO scenario_reading (name, value) VALUES ('in the wal', 1)")
    with open(project.db, "r+b") as handle:
        handle.seek(4096 * 3)
        handle.write(b"\xff" * 4096)
    try:
        assert_clean(project.run("safe_migrate", "--restore", good, "--noinput", scenario="add_column"), 0)
    finally:
        writer.close()
    safety = project.journal()[-1]["safety_backup"]
    assert safety["verified"] is False
    assert mode(safety["path"]) == 0o600 and mode(safety["path"] + ".json") == 0o600
    if os.path.exists(safety["path"] + "-wal"):
        assert mode(safety["path"] + "-wal") == 0o600


@pytest.mark.parametrize("which", ["database folder", "backup folder"])
@pytest.mark.parametrize("bits", [0o775, 0o777])
def test_a_folder_others_can_write_to_is_refused(project, tmp_path, which, bits):
    backup_dir = tmp_path / "backups"
    backup_dir.mkdir(mode=0o700)
    shared = project.dir if which == "database folder" else backup_dir
    before = project.hashes()
    os.chmod(shared, bits)
    try:
        result = project.run("safe_migrate", "--noinput", "--backup-dir", str(backup_dir), scenario="add_column")
    finally:
        os.chmod(shared, 0o700)
    last = assert_clean(result, 3)
    assert str(shared) in result.stderr and "others" in result.stderr
    assert last.startswith("Database unchanged")
    assert project.hashes() == before
    assert not [n for n in os.listdir(backup_dir) + os.listdir(project.dir) if ".backup-" in n]


def test_a_symlinked_journal_is_not_followed(project, tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("do not touch\n")
    os.symlink(elsewhere, project.db + ".safe_migrate.journal.jsonl")
    before = project.hashes()
    result = project.run("safe_migrate", "--noinput", scenario="add_column")
    assert_clean(result, 3)
    assert "symbolic link" in result.stderr
    assert elsewhere.read_text() == "do not touch\n"
    assert project.hashes() == before


def test_a_symlinked_lock_is_not_followed(project, tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("do not touch\n")
    os.symlink(elsewhere, project.db + ".safe_migrate.lock")
    before = project.hashes()
    result = project.run("safe_migrate", "--noinput", scenario="add_column")
    assert_clean(result, 3)
    assert "symbolic link" in result.stderr
    assert elsewhere.read_text() == "do not touch\n"
    assert project.hashes() == before


@pytest.mark.postgres
def test_a_postgresql_state_folder_others_can_write_to_is_refused(pg):
    """ORB_STATE_DIR holds the journal and the lock of a PostgreSQL database: shared, it is refused."""
    state = pg.state_dir
    state.mkdir(parents=True, exist_ok=True)
    before = pg.schema(), pg.readings()
    os.chmod(state, 0o777)
    try:
        result = pg.run("safe_migrate", "--noinput", scenario="add_column")
    finally:
        os.chmod(state, 0o700)
    last = assert_clean(result, 3)
    assert str(state) in result.stderr and "others" in result.stderr
    assert last.startswith("Database unchanged")
    assert (pg.schema(), pg.readings()) == before
    assert not os.path.exists(pg.backup_dir) or not os.listdir(pg.backup_dir)
