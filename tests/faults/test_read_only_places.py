"""4. Read-only places: a read-only bind mount (root ignores file modes, a mount does not).

The database directory or the backup directory is not writable: every applying mode is
refused (exit 3) with a sentence naming what is not writable, and nothing changes: the
database file is byte-identical and no file appears anywhere.  The read-only modes still
answer.
"""

import os

import pytest

from .helpers import Project, assert_exit, db_files_digest

pytestmark = pytest.mark.faults


def snapshot(*directories):
    return {str(d): sorted(os.listdir(d)) for d in directories}


@pytest.mark.parametrize(
    "args",
    [
        ["--noinput"],
        ["--noinput", "--rehearse"],
        ["--dry-run"],
        ["--rollback", "--noinput"],
        ["--restore", "--noinput"],
    ],
    ids=["upgrade", "rehearse", "dry-run", "rollback", "restore"],
)
def test_read_only_database_directory_is_refused(project, read_only_view, args):
    # A backup and a journal exist, so --rollback/--restore would have work to do.
    assert_exit(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    before = db_files_digest(project.db)
    view = Project(read_only_view(project.dir, "ro-db"), scenario="add_column")
    files = snapshot(project.dir)

    result = view.run("safe_migrate", *args)
    output = assert_exit(result, 3)
    assert f"Cannot write to the database directory: {view.dir} is not writable" in output
    assert result.stderr.strip().splitlines()[-1].startswith("Database unchanged")
    assert db_files_digest(project.db) == before
    assert snapshot(project.dir) == files

    status = view.run("safe_migrate", "--status")
    assert_exit(status, 0)
    assert snapshot(project.dir) == files


@pytest.mark.parametrize("how", ["--backup-dir", "ORB_BACKUP_DIR"])
@pytest.mark.parametrize(
    "args",
    [["--noinput"], ["--rollback", "--noinput"], ["--restore", "--noinput"]],
    ids=["upgrade", "rollback", "restore"],
)
def test_read_only_backup_directory_is_refused(project, read_only_view, tmp_path, how, args):
    assert_exit(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    backups = tmp_path / "backups"
    backups.mkdir()
    view = read_only_view(backups, "ro-backups")
    before = db_files_digest(project.db)
    files = snapshot(project.dir, backups)

    if how == "--backup-dir":
        result = project.run("safe_migrate", *args, "--backup-dir", str(view), scenario="add_column")
    else:
        result = project.run("safe_migrate", *args, scenario="add_column", ORB_BACKUP_DIR=str(view))
    output = assert_exit(result, 3)
    assert f"Cannot write to the backup directory: {view} is not writable" in output
    assert result.stderr.strip().splitlines()[-1].startswith("Database unchanged")
    assert db_files_digest(project.db) == before
    assert snapshot(project.dir, backups) == files
