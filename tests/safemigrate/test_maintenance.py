"""The web app honours the lock: 503 while a run holds it with maintenance on."""

import pytest
from django.conf import settings
from django.db import connection

from orb.safemigrate.lock import FileLock


@pytest.fixture
def lock_path():
    return str(settings.DATABASES["default"]["NAME"]) + ".safe_migrate.lock"


@pytest.fixture
def run_lock(lock_path, settings, tmp_path):
    """The engine's lock: the lock file on SQLite, advisory locks on PostgreSQL."""
    if connection.vendor == "postgresql":
        from orb.safemigrate.backends.postgresql import PostgreSQLBackend

        settings.ORB_STATE_DIR = str(tmp_path)
        return PostgreSQLBackend(connection).run_lock()
    return FileLock(lock_path)


@pytest.mark.django_db
def test_requests_answer_503_during_maintenance_and_work_again_after(client, run_lock, django_user_model):
    user = django_user_model.objects.create_superuser("chief", "c@example.org", "pw")
    client.force_login(user)
    assert client.get("/dashboard/").status_code == 200
    lock = run_lock
    lock.acquire(mode="upgrade", maintenance=True, run_id="t")
    try:
        response = client.get("/dashboard/")
        assert response.status_code == 503
        assert b"Database maintenance in progress" in response.content
        assert response["Retry-After"] == "60"
        before = django_user_model.objects.count()
        post = client.post(
            "/admin/auth/user/add/", {"username": "x", "password1": "a-Long-pw-1", "password2": "a-Long-pw-1"}
        )
        assert post.status_code == 503
        assert django_user_model.objects.count() == before
        lock.release()
        lock.acquire(mode="dry-run", maintenance=False, run_id="t")  # a dry run holds the lock without maintenance
        assert client.get("/dashboard/").status_code == 200
    finally:
        lock.release()
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.django_db
def test_maintenance_page_comes_before_the_schema_guard(client, run_lock):
    """During a run the database is behind the code for a while: the page says maintenance."""
    from django.db.migrations.recorder import MigrationRecorder

    from orb import schema_guard

    schema_guard.memo.forget()
    MigrationRecorder(connection).record_unapplied("fueltickets", "0001_initial")
    try:
        run_lock.acquire(mode="upgrade", maintenance=True, run_id="t")
        try:
            response = client.get("/dashboard/")
            assert response.status_code == 503
            assert b"Database maintenance in progress" in response.content
        finally:
            run_lock.release()
        response = client.get("/dashboard/")
        assert response.status_code == 503 and b"python manage.py safe_migrate" in response.content
    finally:
        schema_guard.memo.forget()  # the row comes back with the test's rollback
