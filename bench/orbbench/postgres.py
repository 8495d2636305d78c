"""The PostgreSQL server the bench measures: is it there, and its databases (all ``orb_bench*``)."""

import importlib.util
import shutil

from .config import PG_DSN, PG_PREFIX, WORK

RUN_DATABASE = f"{PG_PREFIX}_run"  # the fresh copy each run migrates


def connect(dbname="postgres"):
    import psycopg

    return psycopg.connect(dbname=dbname, connect_timeout=3, autocommit=True, **PG_DSN)


def url(dbname):
    return f"postgres://{PG_DSN['user']}@{PG_DSN['host']}:{PG_DSN['port']}/{dbname}"


def unavailable():
    """None when PostgreSQL can be measured, else the reason it cannot."""
    if shutil.which("pg_dump") is None:
        return "pg_dump is not installed"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    try:
        with connect() as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the reason
        return f"no PostgreSQL server answers at {PG_DSN['host']}:{PG_DSN['port']} ({exc.__class__.__name__})"
    if importlib.util.find_spec("orb.safemigrate.backends.postgresql") is None:
        return "the PostgreSQL backend (orb/safemigrate/backends/postgresql.py) does not exist yet"
    return None


def server_version():
    try:
        with connect() as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001
        return None


def drop(conn, name):
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_all(prefix=PG_PREFIX):
    """Drop every database whose name starts with ``prefix`` (the bench's own)."""
    with connect() as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",))]
        for name in names:
            drop(conn, name)


def create(name, template=None):
    """(Re)create database ``name``, empty or as a copy of ``template``."""
    with connect() as conn:
        drop(conn, name)
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def fresh(base):
    """A fresh copy of database ``base`` and an empty state folder: (name, folder)."""
    directory = WORK / "pg" / "run"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    drop_all(RUN_DATABASE)
    create(RUN_DATABASE, template=base)
    return RUN_DATABASE, directory


def dump_command(name, path):
    """``pg_dump -Fc`` of database ``name`` into ``path``: what an operator would run first."""
    return [
        "pg_dump",
        "-Fc",
        "-h",
        PG_DSN["host"],
        "-p",
        str(PG_DSN["port"]),
        "-U",
        PG_DSN["user"],
        "-f",
        str(path),
        name,
    ]
