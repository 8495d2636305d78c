"""migrations.lock: ``--write-lock`` records released migrations, an edited or missing released
file is ORB108 (and the lock is not rewritten over it), and safe_migrate's drift check trusts the
lock for a migration applied before safe_migrate ever saw it."""

import hashlib

import pytest

from tests.e2e import dbfacts

from .conftest import ROOT, found

pytestmark = pytest.mark.e2e
FOLDER = "tests/migrationcheck/scenarios/clean"
# 0001_initial re-exports initial.py's migration: the file recorded is the one defining it (as drift's).
FILES = [f"{FOLDER}/0002_add_unit.py", f"{FOLDER}/0003_fill_unit.py", "tests/migrationcheck/scenarios/initial.py"]


def sha256(path):
    return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()


def lock_lines(checks):
    return [line for line in checks.lock.read_text().splitlines() if not line.startswith("#")]


def test_write_lock_records_every_migration_in_sha256sum_format(checks):
    result = checks.run("clean", "check_migrations", "scenario", "--write-lock")
    assert result.returncode == 0, result.stderr
    assert "added 3" in result.stdout
    assert lock_lines(checks) == [f"{sha256(path)}  {path}" for path in FILES]
    again = checks.run("clean", "check_migrations", "scenario", "--write-lock")
    assert again.returncode == 0 and "nothing new to add" in again.stdout


def test_orb108_a_released_migration_edited_or_missing_and_the_lock_is_kept(checks):
    checks.lock.write_text(
        f"{'0' * 64}  {FILES[0]}\n{sha256(FILES[1])}  {FILES[1]}\n{sha256(FILES[1])}  {FOLDER}/0004_gone.py\n"
    )
    before = checks.lock.read_bytes()
    _, document = checks.check("clean", "--no-round-trip", code=1)
    assert found(document) == [("ORB108", "scenario.0002_add_unit"), ("ORB108", f"{FOLDER}/0004_gone.py")]
    details = sorted(item["detail"] for item in document["findings"])
    assert details[0].endswith("changed since it was released (sha256 differs from the lock)")
    assert details[1] == "the released migration file is missing"
    refused = checks.run("clean", "check_migrations", "scenario", "--write-lock")
    assert refused.returncode == 1 and "migrations.lock unchanged" in refused.stdout
    assert checks.lock.read_bytes() == before


def test_safe_migrate_refuses_an_applied_migration_that_differs_from_the_lock(checks):
    applied = checks.run("clean", "migrate", "--noinput", ORB_ALLOW_PLAIN_MIGRATE="1")
    assert applied.returncode == 0, applied.stderr
    state = dbfacts.applied(str(checks.db))
    content = dbfacts.content_hashes(str(checks.db))
    checks.lock.write_text(f"{'0' * 64}  {FILES[0]}\n")
    refused = checks.run("clean", "safe_migrate", "--noinput")
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "scenario.0002_add_unit differs from the released file recorded in migrations.lock" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert dbfacts.applied(str(checks.db)) == state and dbfacts.content_hashes(str(checks.db)) == content
    checks.lock.write_text(f"{sha256(FILES[0])}  {FILES[0]}\n")
    trusted = checks.run("clean", "safe_migrate", "--noinput")
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
