"""7. Bad command lines: property-based tests over safe_migrate's arguments (hypothesis).

Each example is a real ``manage.py safe_migrate`` subprocess on a fresh copy of a small
database that has a pending migration, three backups and a journal.  Whatever the mix of
modes, targets, options and bogus values:

- it exits 0, 1, 2 or 3, with no traceback (``-v 3`` may print one after the message)
  and never "stopped on an unexpected error" (a bug caught by the last-resort handler);
- with ``--json`` and a safe_migrate exit (not an argparse one), stdout is one JSON document;
- no invocation but an applying mode (the default mode, ``--rollback``, ``--restore``)
  changes the database file or its -wal, and the read-only modes write no file at all.

ORB_FAULTS_EXAMPLES sets how many examples (default 40).
"""

import json
import os
import shutil
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import Project, assert_exit, db_files_digest, env_int

pytestmark = pytest.mark.faults

READ_ONLY = {"--plan", "--status", "--history", "--list-backups"}
APPLYING = {"--rollback", "--restore"}

modes = st.sampled_from(
    [
        [],
        ["--plan"],
        ["--dry-run"],
        ["--rollback"],
        ["--status"],
        ["--history"],
        ["--list-backups"],
        ["--restore"],
        ["--restore", "{backup}"],
        ["--restore", "{backup}.json"],
        ["--restore", "no-such-backup"],
        ["--restore", "{dir}"],
        ["--prune-backups"],
        ["--plan", "--status"],
        ["--dry-run", "--rollback"],
        ["--restore", "--prune-backups"],
    ]
)
targets = st.sampled_from(
    [
        [],
        ["scenario"],
        ["scenario", "zero"],
        ["scenario", "0001_initial"],
        ["scenario", "0002_reading_comment"],
        ["scenario", "0002"],
        ["scenario", "bogus"],
        ["scenario", "__first__"],
        ["bogus_app"],
        ["bogus_app", "zero"],
        ["fueltickets", "zero"],
        ["auth"],
        ["contenttypes", "0001_initial"],
        ["scenario", "0001_initial", "extra"],
    ]
)
options = st.lists(
    st.sampled_from(
        [
            ["--noinput"],
            ["--allow-data-loss"],
            ["--rehearse"],
            ["--json"],
            ["--keep", "1"],
            ["--keep", "0"],
            ["--keep", "-3"],
            ["--keep", "99999999999999999999"],
            ["--keep", "x"],
            ["--database", "default"],
            ["--database", "bogus"],
            ["--backup-dir", "{dir}/elsewhere"],
            ["--backup-dir", "{dir}"],
            ["--backup-dir", "{db}"],
            ["--backup-dir", ""],
            ["-v", "0"],
            ["-v", "2"],
            ["-v", "3"],
            ["--bogus-option"],
        ]
    ),
    max_size=4,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Pending scenario.0002 (add_column), three backups with sidecars, a journal of three runs."""
    directory = tmp_path_factory.mktemp("cli-template")
    project = Project(directory, scenario="add_column")
    assert_exit(project.run("safe_migrate", "--noinput", scenario="base"), 0)
    assert project.run("seed_scenario").returncode == 0
    assert_exit(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    assert_exit(project.run("safe_migrate", "--rollback", "--noinput"), 0)
    assert len(project.backups()) == 3
    return directory


def fresh_copy(template, directory):
    """Copy the template directory, rewriting the paths the journal and sidecars hold."""
    shutil.copytree(template, directory)
    for name in os.listdir(directory):
        if name.endswith((".jsonl", ".json")):
            path = os.path.join(directory, name)
            with open(path) as handle:
                text = handle.read()
            with open(path, "w") as handle:
                handle.write(text.replace(str(template), str(directory)))
    return Project(directory, scenario="add_column")


def listing(directory):
    found = {}
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            found[os.path.relpath(path, directory)] = os.path.getsize(path)
    return found


counter = iter(range(10**6))


@settings(
    max_examples=env_int("ORB_FAULTS_EXAMPLES", 40),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mode=modes, target=targets, extra=options)
def test_any_command_line_exits_cleanly_and_changes_nothing_unless_it_applies(template, tmp_path, mode, target, extra):
    project = fresh_copy(template, tmp_path / f"example-{next(counter)}")
    backup = project.backups()[0]
    fill = {"{backup}": backup, "{dir}": str(project.dir), "{db}": project.db}

    def expand(word):
        for key, value in fill.items():
            word = word.replace(key, value)
        return word

    args = [expand(word) for word in [*target, *mode, *[w for option in extra for w in option]]]
    before_db, before_files = db_files_digest(project.db), listing(project.dir)

    result = project.run("safe_migrate", *args, input="", timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode in (0, 1, 2, 3), (args, output)
    if "3" not in [w for option in extra if option[0] == "-v" for w in option[1:]]:
        assert "Traceback" not in output, (args, output)
    assert "unexpected error" not in output, (args, output)
    if "--json" in args and "usage:" not in result.stderr:
        json.loads(result.stdout)

    flags = {word for word in args if word.startswith("--")}
    applying = not (flags & (READ_ONLY | {"--dry-run", "--prune-backups"})) or (flags & APPLYING)
    if not applying or result.returncode in (2, 3):
        assert db_files_digest(project.db) == before_db, (args, output)
    if flags & READ_ONLY and not flags & (APPLYING | {"--dry-run", "--prune-backups"}):
        assert listing(project.dir) == before_files, (args, output)
    shutil.rmtree(project.dir, ignore_errors=True)


def test_rolling_back_the_very_first_run(empty_project):
    """Found by the examples above: undoing the run that created every table used to fail
    with "no such table: django_content_type" (post_migrate saw a stale state).  The rows that
    run created itself (the roles' groups, permissions, content types) come back when it is
    applied again, so undoing it right away loses nothing; a row written since would."""
    assert_exit(empty_project.run("safe_migrate", "--noinput"), 0)
    conn = sqlite3.connect(empty_project.db)
    with conn:
        conn.execute("INSERT INTO auth_group (name) VALUES ('Written since')")
    conn.close()
    refused = empty_project.run("safe_migrate", "--rollback", "--noinput")
    output = assert_exit(refused, 3)
    assert "would lose data" in output and "auth_group" in output and "written since" in output
    conn = sqlite3.connect(empty_project.db)
    with conn:
        conn.execute("DELETE FROM auth_group WHERE name = 'Written since'")
    conn.close()
    done = empty_project.run("safe_migrate", "--rollback", "--noinput")
    assert_exit(done, 0)
    assert empty_project.applied() == set()
