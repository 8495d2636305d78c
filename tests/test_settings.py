"""Settings from the environment: the embedded default, PostgreSQL URLs, production checks."""

import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


TEST_KEY = "test-" + secrets.token_urlsafe(40)


def run(*args, **env):
    """manage.py with only the given DJANGO_* variables (a secret key unless DJANGO_SECRET_KEY=None)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    full["DJANGO_SECRET_KEY"] = TEST_KEY
    full["DJANGO_SETTINGS_MODULE"] = "orb.settings"
    full.update(env)
    full = {k: v for k, v in full.items() if v is not None}
    if args[0] == "shell":
        args = ("shell", "--no-imports", *args[1:])
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_values(tmp_path):
    result = run(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="orb.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path}/orb.db",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_default_database_is_data_orb_db_and_postgres_urls_select_postgresql():
    code = "from django.conf import settings as s; d = s.DATABASES['default'];print(d['ENGINE'], d['NAME'])"
    default = run("shell", "-c", code)
    assert default.stdout.split() == ["django.db.backends.sqlite3", str(ROOT / "data" / "orb.db")]
    pg = run("shell", "-c", code, DATABASE_URL="postgres://postgres@127.0.0.1:5432/orb_fleet")
    assert pg.stdout.split() == ["django.db.backends.postgresql", "orb_fleet"]


def test_sqlite_folder_is_created_and_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path):
    db = tmp_path / "new" / "folder" / "orb.db"
    code = (
        "from django.db import connection; c = connection.cursor();"
        "print(*[c.execute(f'PRAGMA {p}').fetchone()[0] for p in ('journal_mode', 'busy_timeout', 'foreign_keys')])"
    )
    result = run("shell", "-c", code, DATABASE_URL=f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000", "1"]
    assert db.exists()
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("value,expected", [("1", "True"), ("0", "False"), ("", "False")])
def test_debug_from_the_environment(value, expected):
    result = run("shell", "-c", "from django.conf import settings; print(settings.DEBUG)", DJANGO_DEBUG=value)
    assert result.stdout.strip() == expected


def test_without_a_secret_key_and_debug_off_it_refuses_to_start(tmp_path):
    result = run("check", DJANGO_SECRET_KEY=None, DATABASE_URL=f"sqlite:///{tmp_path}/orb.db")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DJANGO_SECRET_KEY" in lines[0], result.stderr
    # The web application refuses too (a WSGI server imports orb.wsgi).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    wsgi = subprocess.run(
        [sys.executable, "-c", "import orb.wsgi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "orb.settings", "DATABASE_URL": f"sqlite:///{tmp_path}/orb.db"},
        timeout=120,
    )
    assert wsgi.returncode != 0
    assert "ImproperlyConfigured" in wsgi.stderr and "DJANGO_SECRET_KEY" in wsgi.stderr


def test_debug_on_runs_without_a_secret_key(tmp_path):
    result = run("check", DJANGO_SECRET_KEY=None, DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path}/orb.db")
    assert result.returncode == 0, result.stderr


IS_SECURE = (
    "from django.test import RequestFactory;"
    "print(RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https').is_secure())"
)


@pytest.mark.parametrize("behind_proxy,expected", [(None, "False"), ("0", "False"), ("1", "True")])
def test_x_forwarded_proto_is_trusted_only_behind_a_proxy(behind_proxy, expected):
    result = run("shell", "-c", IS_SECURE, DJANGO_BEHIND_PROXY=behind_proxy)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


SECURITY = (
    "from django.conf import settings as s;"
    "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
)


@pytest.mark.parametrize(
    "redirect,expected",
    [
        (None, ["True", "True", "True", "31536000"]),
        ("1", ["True", "True", "True", "31536000"]),
        ("0", ["False", "False", "False", "0"]),  # a plain-HTTP ship LAN: cookies a browser keeps, no HSTS
    ],
)
def test_secure_cookies_and_hsts_follow_the_ssl_redirect(redirect, expected):
    result = run("shell", "-c", SECURITY, DJANGO_SECURE_SSL_REDIRECT=redirect)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected


LOGIN = (
    "from django.conf import settings as s; from django.contrib.auth.password_validation import "
    "password_validators_help_texts as h; print(s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.AUTHENTICATION_BACKENDS[0],"
    " s.MIDDLEWARE[-1]); print(*h(), sep='\\n')"
)


def test_login_throttling_session_and_password_length():
    result = run("shell", "-c", LOGIN)
    assert result.returncode == 0, result.stderr
    first, *helps = result.stdout.strip().splitlines()
    assert first.split() == ["True", "axes.backends.AxesStandaloneBackend", "axes.middleware.AxesMiddleware"]
    assert any("at least 12 characters" in line for line in helps), helps


@pytest.mark.parametrize("debug,installed", [(None, False), ("1", True)])
def test_django_extensions_only_when_debugging(debug, installed):
    result = run("help", "--commands", DJANGO_DEBUG=debug)
    assert result.returncode == 0, result.stderr
    commands = result.stdout.split()
    assert ("reset_db" in commands) is installed
    assert "axes_reset_username" in commands


def requirement_names(path):
    names = {}
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            assert version, f"{path}: {line} is not pinned exactly"
            names[name.split("[")[0].lower()] = version
    return names


def test_production_requirements_hold_only_what_production_needs():
    runtime = requirement_names("requirements.txt")
    # gunicorn, whitenoise: the production server (make serve); fpdf2: the book as PDF; openpyxl: the handover
    # workbook; pypdf: joins the handover's forms into one PDF.
    production = {"django", "dj-database-url", "psycopg", "django-axes", "django-extensions", "pytest-django"}
    assert set(runtime) == production | {"gunicorn", "whitenoise", "fpdf2", "openpyxl", "pypdf"}
    dev_lines = [
        line.strip()
        for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert dev_lines[0] == "-r requirements.txt"
    dev = requirement_names("requirements-dev.txt")
    assert {"pytest", "pytest-timeout", "hypothesis", "playwright"} <= set(dev)
    assert not set(dev) & set(runtime)


def test_make_run_installs_requirements_txt_and_make_test_the_dev_requirements():
    def commands(target):
        result = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    run_commands = commands("run")
    assert "-r requirements.txt" in run_commands and "requirements-dev.txt" not in run_commands
    assert "-r requirements-dev.txt" in commands("test")
