"""Facts read straight from a SQLite file, for asserting on the database after a run."""
import hashlib
import json
import sqlite3


def _connect(path):
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def schema(path):
    """{name: sql} of every table and index (the schema as SQLite stores it)."""
    conn = _connect(path)
    try:
        return {name: sql for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")}
    finally:
        conn.close()


def columns(path, table):
    conn = _connect(path)
    try:
        return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
    finally:
        conn.close()


def table_hash(path, table):
    """sha256 over every row of ``table`` (rowid order, columns by name), or None when it does not exist."""
    conn = _connect(path)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone():
            return None
        names = sorted(row[1] for row in conn.execute(f'PRAGMA table_info("{table}")'))
        select = ", ".join(f'"{n}"' for n in names)
        digest = hashlib.sha256(json.dumps(names).encode())
        for row in conn.execute(f'SELECT {select} FROM "{table}" ORDER BY rowid'):
            digest.update(json.dumps(row, default=str).encode())
        return digest.hexdigest()
    finally:
        conn.close()


def content_hashes(path, *, skip=("django_migrations",)):
    conn = _connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    finally:
        conn.close()
    return {t: table_hash(path, t) for t in tables if t not in skip}


def rows(path, sql, params=()):
    conn = _connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def count(path, table):
    return rows(path, f'SELECT COUNT(*) FROM "{table}"')[0][0]


def applied(path):
    return {f"{a}.{n}" for a, n in rows(path, "SELECT app, name FROM django_migrations")}


def quick_check(path):
    return rows(path, "PRAGMA quick_check")[0][0]


def file_sha(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def journal(db_path):
    try:
        with open(db_path + ".safe_migrate.journal.jsonl") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []
