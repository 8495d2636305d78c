"""5. Corrupt inputs: damaged database pages, damaged or truncated backups, malformed
sidecars and journal lines.

- A database whose pages are damaged fails ``quick_check``: every applying mode refuses
  (exit 3) and the file is left byte-identical.
- A backup whose bytes no longer match the sha256 of its sidecar, or a truncated one:
  ``--restore`` refuses it (exit 3), names a backup that does verify, changes nothing.
- A malformed sidecar or journal line is reported (a warning naming it), never a traceback
  or an "unexpected error", in every mode.
- A journal line half-written by a killed run is tolerated: the next run appends its record
  on a line of its own, and every complete record is still read.
"""

import json
import os

import pytest

from tests.e2e import dbfacts

from .helpers import assert_exit, db_files_digest

pytestmark = pytest.mark.faults

# The modes that change nothing (the changing ones are run after, one at a time).
READ_MODES = [["--dry-run"], ["--status"], ["--history"], ["--list-backups"], ["--plan"], ["--list-backups", "--json"]]


def damage_pages(db, table):
    """Overwrite two b-tree pages of ``table`` (never page 1) with garbage."""
    pages = [
        row[0]
        for row in dbfacts.rows(db, "SELECT pageno FROM dbstat WHERE name = ? AND pageno > 1 ORDER BY pageno", (table,))
    ]
    assert pages, f"{table} has no pages of its own"
    page_size = dbfacts.rows(db, "PRAGMA page_size")[0][0]
    with open(db, "r+b") as handle:
        for page in {pages[0], pages[len(pages) // 2]}:
            handle.seek((page - 1) * page_size)
            handle.write(bytes([0xA5, 0x5A] * (page_size // 2)))


def quick_check_fails(db):
    try:
        return dbfacts.quick_check(db) != "ok"
    except Exception:  # sqlite3.DatabaseError: database disk image is malformed
        return True


def test_damaged_pages_are_refused_untouched(project):
    project.scenario = "add_column"
    damage_pages(project.db, "fueltickets_dailyfuelticket")
    assert quick_check_fails(project.db)
    before = db_files_digest(project.db)
    # The integrity check's verdict comes before anything is written or any other answer is given
    # (even --rollback's "is there a run to undo"; applying modes read it beside their backup):
    # every applying mode refuses, and nothing is written.
    for args in (["--noinput"], ["--noinput", "--rehearse"], ["--dry-run"], ["--rollback", "--noinput"]):
        result = project.run("safe_migrate", *args)
        output = assert_exit(result, 3)
        assert "failed its integrity check" in output and "nothing was changed" in output, (args, output)
        assert db_files_digest(project.db) == before, args
        assert project.journal()[-1]["outcome"] == "refused", args
    assert not [n for n in os.listdir(project.dir) if ".backup-" in n or ".rehearsal-" in n]
    # The read-only modes still answer about it, and write nothing to the database.
    for args in (["--status"], ["--history"], ["--list-backups"]):
        result = project.run("safe_migrate", *args)
        assert_exit(result, 0)
        assert db_files_digest(project.db) == before


@pytest.fixture
def two_backups(project):
    """Backup 1 (before add_column), backup 2 (before the rollback); returns (older, newer)."""
    assert_exit(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    assert_exit(project.run("safe_migrate", "--rollback", "--noinput", scenario="add_column"), 0)
    backups = project.backups()
    assert len(backups) == 2
    records = project.journal()
    older, newer = records[0]["backup"]["path"], records[1]["backup"]["path"]
    return project, older, newer


@pytest.mark.parametrize("damage", ["flipped-byte", "truncated"])
def test_restore_refuses_a_damaged_backup_and_names_a_good_one(two_backups, damage):
    project, older, newer = two_backups
    if damage == "flipped-byte":
        with open(newer, "r+b") as handle:
            handle.seek(os.path.getsize(newer) // 2)
            byte = handle.read(1)
            handle.seek(-1, os.SEEK_CUR)
            handle.write(bytes([byte[0] ^ 0xFF]))
        why = "no longer match the sha256"
    else:
        with open(newer, "r+b") as handle:
            handle.truncate(os.path.getsize(newer) // 2)
        why = "truncated"
    before = db_files_digest(project.db)
    for args in (["--restore", "--noinput"], ["--restore", newer, "--noinput"]):
        result = project.run("safe_migrate", *args)
        output = assert_exit(result, 3)
        assert f"The backup {newer} cannot be used" in output and why in output
        assert f"A backup that verifies: {older}" in output
        assert db_files_digest(project.db) == before
    listing = project.run("safe_migrate", "--list-backups")
    assert_exit(listing, 0)
    # The good one still restores.
    result = project.run("safe_migrate", "--restore", older, "--noinput")
    assert_exit(result, 0)
    assert "scenario.0002_reading_comment" not in project.applied()


SIDECARS = {
    "garbage": b"\x00\xff not json at all",
    "empty": b"",
    "list": b"[]",
    "null": b"null",
    "wrong-types": json.dumps(
        {
            "sha256": 5,
            "size": "big",
            "created_at": 7,
            "applied": "scenario.0001_initial",
            "checksums": [1, 2],
            "kind": None,
            "verified": "yes",
            "path": 3,
        }
    ).encode(),
    "nested-junk": json.dumps(
        {"sha256": {"a": 1}, "size": [1], "created_at": {"x": 1}, "applied": [1, None, {"a": 2}], "checksums": "abc"}
    ).encode(),
}


@pytest.mark.parametrize("kind", sorted(SIDECARS))
def test_malformed_sidecar_is_reported_never_a_traceback(two_backups, kind):
    project, older, newer = two_backups
    with open(newer + ".json", "wb") as handle:
        handle.write(SIDECARS[kind])
    before = db_files_digest(project.db)
    for args in READ_MODES:
        result = project.run("safe_migrate", *args, scenario="add_column")
        assert_exit(result, 0)
        assert db_files_digest(project.db) == before
    listing = project.run("safe_migrate", "--list-backups", "--json")
    entries = {entry["path"]: entry for entry in json.loads(listing.stdout)}
    assert entries[newer]["problem"] and not entries[newer]["verified"], entries[newer]
    assert entries[older]["problem"] is None

    # "Newest" is the journal's newest backup, the one with the malformed sidecar: it cannot be
    # verified, so the restore is refused (never silently swapped for an older one), naming the
    # backup that does verify, and the database is unchanged.
    result = project.run("safe_migrate", "--restore", "--noinput", scenario="add_column")
    output = assert_exit(result, 3)
    assert f"The backup {newer} cannot be used: sidecar" in output
    assert f"A backup that verifies: {older}" in output
    assert db_files_digest(project.db) == before
    result = project.run("safe_migrate", "--restore", newer, "--noinput", scenario="add_column")
    output = assert_exit(result, 3)
    assert f"The backup {newer} cannot be used" in output
    assert db_files_digest(project.db) == before
    result = project.run("safe_migrate", "--prune-backups", "--keep", "1", "--noinput", scenario="add_column")
    assert_exit(result, 0)


JOURNAL_LINES = {
    "torn": b'{"id": "20250101T000000-abcdef", "mode": "upgrade", "outco',
    "binary": b"\x00\x01\x02\xff\xfe",
    "not-an-object": b"[1, 2, 3]",
    "wrong-types": json.dumps(
        {
            "id": 5,
            "mode": 7,
            "outcome": "applied",
            "direction": "forwards",
            "migrations": "scenario.0002_reading_comment",
            "checksums": "abc",
            "backup": "a string",
            "applied_before": 3,
            "applied_after": None,
            "started_at": 1,
            "finished_at": [1],
        }
    ).encode(),
    "nested-junk": json.dumps(
        {
            "id": "x",
            "mode": "upgrade",
            "outcome": "applied",
            "direction": "forwards",
            "migrations": [1, None],
            "checksums": {"scenario.0001_initial": 5},
            "backup": {"path": 5, "sha256": None},
            "applied_before": [None],
            "applied_after": "scenario.0001_initial",
        }
    ).encode(),
}


@pytest.mark.parametrize("kind", sorted(JOURNAL_LINES))
def test_malformed_journal_line_is_reported_never_a_traceback(two_backups, kind):
    # Between the two good records (a torn line at the end is test_half_written_... below).
    where = "middle"
    project, older, newer = two_backups
    journal = project.db + ".safe_migrate.journal.jsonl"
    with open(journal, "rb") as handle:
        lines = handle.read().splitlines()
    bad = JOURNAL_LINES[kind]
    lines = [lines[0], bad, *lines[1:]] if where == "middle" else [*lines, bad]
    with open(journal, "wb") as handle:
        handle.write(b"\n".join(lines) + (b"\n" if where == "middle" else b""))
    before = db_files_digest(project.db)
    for args in READ_MODES:
        result = project.run("safe_migrate", *args, scenario="add_column")
        output = assert_exit(result, 0)
        if "--json" in args:  # stdout holds the document alone, and it parses
            json.loads(result.stdout)
        assert "journal.jsonl line" in output and "skipped" in output, (args, output)
        assert db_files_digest(project.db) == before
    history = json.loads(project.run("safe_migrate", "--history", "--json").stdout)
    # The two complete records are all still there (plus the --dry-run's own).
    assert [r["mode"] for r in history] == ["dry-run", "rollback", "upgrade"]
    # The applying modes tolerate it too (each does its job), and append their record on a line of its own.
    original = dbfacts.content_hashes(older)  # the seeded state, from before the fixture's upgrade
    assert dbfacts.content_hashes(project.db) == original
    comment = "scenario.0002_reading_comment"
    assert_exit(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    assert comment in project.applied() and "comment" in dbfacts.columns(project.db, "scenario_reading")
    upgraded = dbfacts.content_hashes(project.db)
    assert_exit(project.run("safe_migrate", "--rollback", "--noinput", scenario="add_column"), 0)
    assert comment not in project.applied() and "comment" not in dbfacts.columns(project.db, "scenario_reading")
    assert dbfacts.content_hashes(project.db) == original
    assert_exit(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    assert dbfacts.content_hashes(project.db) == upgraded
    assert_exit(project.run("safe_migrate", "--restore", older, "--noinput", scenario="add_column"), 0)
    assert comment not in project.applied() and dbfacts.content_hashes(project.db) == original
    assert_exit(project.run("safe_migrate", "--prune-backups", "--keep", "1", "--noinput", scenario="add_column"), 0)
    assert len(project.backups()) >= 1 and dbfacts.content_hashes(project.db) == original
    history = json.loads(project.run("safe_migrate", "--history", "--json").stdout)
    assert [r["mode"] for r in history][:2] == ["prune", "restore"] and len(history) >= 7


def test_half_written_journal_line_from_a_kill_is_tolerated(project):
    journal = project.db + ".safe_migrate.journal.jsonl"
    assert_exit(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    with open(journal, "ab") as handle:  # a run killed in the middle of its append
        handle.write(b'{"id": "20250101T000000-abcdef", "mode": "rollback", "outcome": "appl')
    result = project.run("safe_migrate", "--rollback", "--noinput", scenario="add_column")
    output = assert_exit(result, 0)
    assert "is not a complete run record and was skipped" in output
    assert "scenario.0002_reading_comment" not in project.applied()
    with open(journal, "rb") as handle:
        lines = handle.read().splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["mode"] == "rollback"
    history = json.loads(project.run("safe_migrate", "--history", "--json").stdout)
    assert [r["mode"] for r in history] == ["rollback", "upgrade"]
