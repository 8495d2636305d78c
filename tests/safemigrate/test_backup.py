import json
import os
from pathlib import Path

from orb.safemigrate.backup import is_leftover, next_backup_path, read_sidecar, reserve_json, write_json_atomic
from orb.safemigrate.files import sha256_file


class FakeBackend:
    backup_suffix = ""

    def __init__(self, directory):
        self.backup_dir = str(directory)

    def backup_basename(self, stamp):
        return f"orb.db.backup-{stamp}"


def test_sidecar_missing_or_malformed_is_a_problem_not_an_exception(tmp_path):
    backup = tmp_path / "orb.db.backup-20260101_000000"
    backup.write_bytes(b"data")
    assert read_sidecar(str(backup)).problem == "no sidecar (checksum unknown)"
    (tmp_path / (backup.name + ".json")).write_text("{not json")
    assert "sidecar unreadable" in read_sidecar(str(backup)).problem
    (tmp_path / (backup.name + ".json")).write_text(json.dumps({"sha256": "ab", "size": 4, "path": "x"}))
    info = read_sidecar(str(backup))
    assert info.problem is None and info.path == str(backup) and info.sha256 == "ab"


def test_a_reserved_sidecar_is_filled_in_place_and_one_too_small_is_replaced(tmp_path):
    # The backup's sidecar takes its room before the plan runs (a plan may fill the disk before
    # the backup is kept): filling it in later writes into the same blocks, never new ones.
    sidecar = str(tmp_path / "orb.db.backup-20260101_000000.json")
    reserved = reserve_json(sidecar, {"sha256": "0" * 64, "size": 10**15})
    name = os.path.basename(reserved)  # a leftover if a kill leaves it; never listed as a backup
    assert name.startswith("orb.db.backup-20260101_000000.json.tmp-") and name.endswith(".json")
    assert is_leftover(name)
    room, inode = os.path.getsize(reserved), os.stat(reserved).st_ino
    write_json_atomic(sidecar, {"sha256": "ab" * 32, "size": 4}, reserved=reserved)
    assert os.stat(sidecar).st_ino == inode and os.path.getsize(sidecar) == room
    assert json.loads(Path(sidecar).read_text()) == {"sha256": "ab" * 32, "size": 4}  # trailing spaces are JSON
    assert os.listdir(tmp_path) == [os.path.basename(sidecar)]

    small = reserve_json(sidecar, {}, slack=0)
    write_json_atomic(sidecar, {"applied": ["x" * 100]}, reserved=small)
    assert json.loads(Path(sidecar).read_text()) == {"applied": ["x" * 100]}
    assert os.listdir(tmp_path) == [os.path.basename(sidecar)]


def test_names_get_a_suffix_within_the_same_second(tmp_path):
    backend = FakeBackend(tmp_path)
    first = next_backup_path(backend)
    open(first, "w").close()
    second = next_backup_path(backend)
    assert second == first + "-2"
    assert os.path.basename(first).startswith("orb.db.backup-")


def test_sha256_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_foreign_key_problems_of_a_committed_file(tmp_path):
    """The post-commit verification finds a reference to a missing row in the file itself."""
    import sqlite3
    from types import SimpleNamespace

    from orb.safemigrate.backends.sqlite import SQLiteBackend

    path = tmp_path / "orb.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));"
        "INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1);"
    )
    conn.close()
    backend = SQLiteBackend(SimpleNamespace(alias="default", vendor="sqlite", settings_dict={"NAME": str(path)}))
    assert backend.foreign_key_problems() == []
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO child VALUES (2, 99)")
    conn.commit()
    conn.close()
    [problem] = backend.foreign_key_problems()
    assert "1 row(s) point at missing rows" in problem and "child" in problem


def test_sidecar_temporary_name_is_not_predictable_and_never_followed(tmp_path):
    """The old temporary name was ``<sidecar>.tmp-<pid>``: a symlink planted there was written through."""
    import stat

    from orb.safemigrate.backup import is_leftover, write_json_atomic

    victim = tmp_path / "victim"
    victim.write_text("keep me")
    sidecar = tmp_path / "orb.db.backup-20260101_000000.json"
    os.symlink(victim, f"{sidecar}.tmp-{os.getpid()}")
    write_json_atomic(str(sidecar), {"sha256": "ab"})
    assert victim.read_text() == "keep me"
    assert json.loads(sidecar.read_text()) == {"sha256": "ab"}
    assert stat.S_IMODE(os.lstat(sidecar).st_mode) == 0o600
    leftovers = [n for n in os.listdir(tmp_path) if n not in ("victim", sidecar.name)]
    assert leftovers == [f"{sidecar.name}.tmp-{os.getpid()}"]  # only the planted link; ours was renamed
    assert is_leftover(leftovers[0])


def test_partial_backup_names_are_unpredictable_private_and_recognised_as_leftovers(tmp_path):
    import stat

    from orb.safemigrate.backup import is_leftover, new_partial

    first, second = new_partial(str(tmp_path / "orb.db.backup-x")), new_partial(str(tmp_path / "orb.db.backup-x"))
    assert first != second
    for partial in (first, second):
        assert stat.S_IMODE(os.lstat(partial).st_mode) == 0o600
        assert is_leftover(os.path.basename(partial)) and is_leftover(os.path.basename(partial) + "-journal")


def test_only_files_safe_migrate_wrote_and_journaled_count(tmp_path):
    from orb.safemigrate.backup import journal_backups, trust_problem

    backup = tmp_path / "orb.db.backup-20260101_000000"
    backup.write_bytes(b"backup bytes")
    os.chmod(backup, 0o600)
    digest = sha256_file(backup)
    records = [
        {"id": "r1", "mode": "upgrade", "backup": {"path": str(backup), "sha256": digest}},
        # a restore's "backup" is the file it restored from, not one it wrote
        {"id": "r2", "mode": "restore", "backup": {"path": str(tmp_path / "other"), "sha256": "x"}},
    ]
    (tmp_path / "other").write_bytes(b"restored from, never written by safe_migrate")
    os.chmod(tmp_path / "other", 0o600)
    entries = journal_backups(records)
    assert set(entries) == {str(backup)}
    assert trust_problem(str(backup), entries.get(str(backup))) is None
    assert "journal" in trust_problem(str(tmp_path / "other"), entries.get(str(tmp_path / "other")))
    link = tmp_path / "orb.db.backup-20270101_000000"
    os.symlink(backup, link)
    assert "symbolic link" in trust_problem(str(link), {"sha256": digest, "index": 0})
    os.chmod(backup, 0o620)
    assert "writable by group or others" in trust_problem(str(backup), entries[str(backup)])
    os.chmod(backup, 0o600)
    backup.write_bytes(b"other bytes!")
    assert "sha256" in trust_problem(str(backup), entries[str(backup)])


WRITER = """
import os, sqlite3, sys
db, stop, ready = sys.argv[1:4]
conn = sqlite3.connect(db, timeout=30, isolation_level=None)
open(ready, "w").close()
while not os.path.exists(stop):
    conn.execute("INSERT INTO t (x) VALUES (randomblob(200))")
"""


def test_a_step_wise_backup_finishes_while_another_process_keeps_committing(tmp_path):
    """Every commit by another connection restarts an SQLite backup that reads a new snapshot at
    each step; the copy holds one read transaction, so it finishes in one pass."""
    import sqlite3
    import subprocess
    import sys
    from types import SimpleNamespace

    from orb.safemigrate.backends.sqlite import SQLiteBackend

    db = tmp_path / "orb.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x BLOB)")
    conn.executemany("INSERT INTO t (x) VALUES (?)", ((os.urandom(500),) for _ in range(40000)))
    conn.commit()
    conn.close()
    stop, ready = tmp_path / "stop", tmp_path / "ready"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(stop), str(ready)])
    steps = []

    class Report:
        def percent(self, done, total, *, label):
            steps.append(done)
            assert len(steps) < 1000, "the backup keeps restarting while the writer commits"

    backend = SQLiteBackend(SimpleNamespace(alias="default", settings_dict={"NAME": str(db)}))
    try:
        while not ready.exists():
            assert writer.poll() is None, "the writer died"
        dest = tmp_path / "copy.db"
        backend.write_backup(str(dest), report=Report())
    finally:
        stop.touch()
        writer.wait(timeout=60)
    copy = sqlite3.connect(dest)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("SELECT count(*) FROM t").fetchone()[0] >= 40000
    copy.close()
