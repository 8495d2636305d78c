"""/healthz (issue 18): 200 with the database reachable and the book's chain intact, 503 with a
short reason otherwise; no login, nothing from the record in the answer.  Served by gunicorn in
tests/e2e/test_serve.py (200, and 503 during a safe_migrate run)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from orb import health, schema_guard
from orb.safemigrate.backends import backend_for
from soundings import guards
from tests.conftest import record_sounding, sign_all

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def fresh_memo():
    schema_guard.memo.forget()
    yield
    schema_guard.memo.forget()


def answer(client, method="get"):
    response = getattr(client, method)("/healthz")
    body = json.loads(response.content) if response.status_code in (200, 503) else None
    return response, body


@pytest.mark.django_db
def test_healthy_without_login(client):
    response, body = answer(client)
    assert response.status_code == 200 and body == {"status": "ok"}
    assert response["Content-Type"] == "application/json" and response["Cache-Control"] == "no-store"
    assert client.head("/healthz").status_code == 200


@pytest.mark.django_db
def test_only_get_and_head(client):
    assert client.post("/healthz").status_code == 405


def test_a_signed_book_is_healthy_and_nothing_of_it_is_shown(client, tanks, officer):
    signed = sign_all(record_sounding(tanks["17S"], feet=1, inches=0).entries.all(), officer)
    response, body = answer(client)
    assert response.status_code == 200 and body == {"status": "ok"}
    assert signed[-1].entry_hash.encode() not in response.content


def test_a_broken_chain_is_503_without_naming_the_entry(client, tanks, officer):
    signed = sign_all(record_sounding(tanks["17S"], feet=1, inches=0).entries.all(), officer)
    guards.uninstall(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE soundings_orbentry SET text = 'forged' WHERE id = %s", [signed[1].pk])
        response, body = answer(client)
    finally:
        guards.install(connection)
    assert response.status_code == 503
    assert body == {"status": "unavailable", "reason": health.BOOK}
    assert b"forged" not in response.content and b"17S" not in response.content


def test_during_maintenance_it_says_so(client, db):
    lock = backend_for(connection).run_lock()
    lock.acquire(mode="upgrade", maintenance=True, run_id="health-test")
    try:
        response, body = answer(client)
    finally:
        lock.release()
    assert response.status_code == 503 and body["reason"] == health.MAINTENANCE
    assert answer(client)[0].status_code == 200  # the run ended: healthy again


def test_a_database_behind_the_code_is_503_not_the_schema_page(client, db):
    recorder = MigrationRecorder(connection)
    applied = [key for key in recorder.applied_migrations() if key[0] == "fueltickets"][-1]
    recorder.record_unapplied(*applied)
    try:
        response, body = answer(client)
    finally:
        recorder.record_applied(*applied)
    assert response.status_code == 503 and body["reason"] == health.SCHEMA


def test_an_unreachable_database_is_503(tmp_path):
    """A real connection attempt to a port nothing listens on (127.0.0.1:9, discard)."""
    script = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, r.content.decode())"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ORB_")) and k != "DATABASE_URL"} | {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/orb",
        "ORB_STATE_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    status, _, body = result.stdout.strip().partition(" ")
    assert status == "503" and json.loads(body) == {"status": "unavailable", "reason": health.DATABASE}


@pytest.mark.django_db
def test_answered_over_plain_http_when_https_is_on(client, settings):
    """A monitoring agent on the box asks over plain HTTP even where a proxy serves HTTPS."""
    settings.SECURE_SSL_REDIRECT = True  # tests/settings.py turns it off; orb/settings.py's exemption stays
    assert client.get("/admin/login/").status_code == 301
    assert answer(client)[0].status_code == 200
