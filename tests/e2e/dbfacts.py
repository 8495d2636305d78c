"""Facts read straight from a SQLite file, for asserting on the database after a run.

One implementation for the e2e and the fault tests (``tests/faults/helpers.py`` re-exports
these): digests made by any of them can be compared with each other.
"""

import contextlib
import hashlib
import json
import sqlite3

HASH_BATCH = 5000  # rows fetched at a time by table_hash: constant memory on a 200 MB table


@contextlib.contextmanager
def _reading(path):
    """A read-only connection to the SQLite file at ``path``, closed afterwards."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def rows(path, sql, params=()):
    with _reading(path) as conn:
        return conn.execute(sql, params).fetchall()


def schema(path):
    """{name: sql} of every table and index (the schema as SQLite stores it)."""
    return dict(rows(path, "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"))


def tables(path):
    """Names of the tables (not SQLite's own)."""
    return [
        name for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    ]


def columns(path, table):
    return [row[1] for row in rows(path, f'PRAGMA table_info("{table}")')]


def table_hash(path, table):
    """sha256 over every row of ``table`` (rowid order, columns by name), or None when it does not exist.

    Rows are read in batches and each row's ``repr`` is hashed, so a big table costs one pass and
    little memory, and the digest does not depend on the batch size."""
    with _reading(path) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone():
            return None
        names = sorted(row[1] for row in conn.execute(f'PRAGMA table_info("{table}")'))
        select = ", ".join(f'"{n}"' for n in names)
        digest = hashlib.sha256(repr(names).encode())
        cursor = conn.execute(f'SELECT {select} FROM "{table}" ORDER BY rowid')
        while batch := cursor.fetchmany(HASH_BATCH):
            digest.update("".join(map(repr, batch)).encode())
        return digest.hexdigest()


def content_hashes(path, *, skip=("django_migrations",)):
    """{table: table_hash} of every table but those in ``skip``."""
    return {t: table_hash(path, t) for t in tables(path) if t not in skip}


def count(path, table):
    return rows(path, f'SELECT COUNT(*) FROM "{table}"')[0][0]


def applied(path):
    return {f"{a}.{n}" for a, n in rows(path, "SELECT app, name FROM django_migrations")}


def quick_check(path):
    return rows(path, "PRAGMA quick_check")[0][0]


def integrity_check(path):
    """``PRAGMA integrity_check`` as a list of lines (['ok'] when sound)."""
    return [line for (line,) in rows(path, "PRAGMA integrity_check")]


def file_sha(path):
    """sha256 of a file's bytes, read in chunks (backups and big databases too)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(4 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def journal(db_path):
    try:
        with open(db_path + ".safe_migrate.journal.jsonl") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []
