"""Bad usage exits 2 with one clear line, no traceback, and changes nothing."""

import pytest

from . import dbfacts

pytestmark = pytest.mark.e2e

CASES = [
    (["nosuchapp"], "No installed app with label 'nosuchapp'"),
    (["scenario", "0099_nope"], "has no migration '0099_nope'"),
    (["scenario", "00"], "More than one migration"),
    (["contenttypes_x", "zero"], "No installed app"),
    (["--plan", "--status"], "Choose one mode at a time"),
    (["--rollback", "scenario"], "does not take an app label"),
    (["--keep", "2"], "--keep only goes with --prune-backups"),
    (["--prune-backups"], "--prune-backups needs --keep N"),
    (["--prune-backups", "--keep", "0"], "at least 1"),
    (["--status", "--rehearse"], "--rehearse goes with an applying run"),
    (["--history", "--allow-data-loss"], "--allow-data-loss only applies"),
    (["--database", "nope"], "No database alias 'nope'"),
    (["--restore", "/no/such/backup.db"], "No backup file"),
    (["--restore", "x.db", "--status"], "Choose one mode at a time"),
    (["--frobnicate"], "unrecognized arguments"),
    (["--keep", "many", "--prune-backups"], "invalid int value"),
]


@pytest.mark.parametrize("args,message", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_usage_exits_2(project, args, message):
    digest = dbfacts.file_sha(project.db)
    result = project.run("safe_migrate", *args, "--noinput", scenario="fail_always")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert message in result.stderr
    assert dbfacts.file_sha(project.db) == digest
