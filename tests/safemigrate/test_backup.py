import json
import os

from orb.safemigrate.backup import next_backup_path, read_sidecar, sha256_file


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
    conn.executescript("CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                       "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));"
                       "INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1);")
    conn.close()
    backend = SQLiteBackend(SimpleNamespace(alias="default", vendor="sqlite", settings_dict={"NAME": str(path)}))
    assert backend.foreign_key_problems() == []
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO child VALUES (2, 99)")
    conn.commit()
    conn.close()
    [problem] = backend.foreign_key_problems()
    assert "1 row(s) point at missing rows" in problem and "child" in problem
