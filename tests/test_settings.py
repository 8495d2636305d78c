"""Settings from the environment: the embedded default, PostgreSQL URLs, production checks."""
import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    full.update(env)
    if args[0] == "shell":
        args = ("shell", "--no-imports", *args[1:])
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_production_values(tmp_path):
    result = run("check", "--deploy", "--fail-level", "WARNING",
                 DJANGO_SECRET_KEY=secrets.token_urlsafe(60), DJANGO_ALLOWED_HOSTS="orb.example.org",
                 DATABASE_URL=f"sqlite:///{tmp_path}/orb.db")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_default_database_is_data_orb_db_and_postgres_urls_select_postgresql():
    code = ("from django.conf import settings as s; d = s.DATABASES['default'];"
            "print(d['ENGINE'], d['NAME'])")
    default = run("shell", "-c", code)
    assert default.stdout.split() == ["django.db.backends.sqlite3", str(ROOT / "data" / "orb.db")]
    pg = run("shell", "-c", code, DATABASE_URL="postgres://postgres@127.0.0.1:5432/orb_fleet")
    assert pg.stdout.split() == ["django.db.backends.postgresql", "orb_fleet"]


def test_sqlite_folder_is_created_and_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path):
    db = tmp_path / "new" / "folder" / "orb.db"
    code = ("from django.db import connection; c = connection.cursor();"
            "print(*[c.execute(f'PRAGMA {p}').fetchone()[0] for p in ('journal_mode', 'busy_timeout', 'foreign_keys')])")
    result = run("shell", "-c", code, DATABASE_URL=f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000", "1"]
    assert db.exists()
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("value,expected", [("1", "True"), ("0", "False"), ("", "False")])
def test_debug_from_the_environment(value, expected):
    result = run("shell", "-c", "from django.conf import settings; print(settings.DEBUG)", DJANGO_DEBUG=value)
    assert result.stdout.strip() == expected
