"""Issue 10 item 7: after ``safe_migrate --rollback`` the code is newer than the schema.

A live ``runserver`` on the rolled-back database answers every page 503, naming
``python manage.py safe_migrate``, instead of a 500 ("no such column ..."); once
``safe_migrate`` has run again, the same server process, never restarted, answers normally.
Older code on a newer database (applied migrations the code does not know) answers 503
saying to deploy the matching release.  Run on a real SQLite file and on a real
PostgreSQL database (journal in ORB_STATE_DIR).
"""

import re
import signal
import subprocess
import threading
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager

import pytest

from .conftest import ROOT, assert_clean
from .pg import PgProject, admin, drop_database

pytestmark = pytest.mark.e2e

PAGES = ("/", "/dashboard/", "/admin/", "/admin/login/", "/admin/fueltickets/dailyfuelticket/")
PENDING = "scenario.0002_reading_comment"


def default_signals():
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def running_server(project, **env):
    """``runserver`` on an OS-chosen port; yields its base URL once it has bound the socket."""
    process = subprocess.Popen(
        project.command("runserver", "127.0.0.1:0", "--noreload"),
        cwd=ROOT,
        env=project.env(DJANGO_DEBUG="1", PYTHONUNBUFFERED="1", **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=default_signals,
    )
    log = []
    try:
        # Django prints this line from its on_bind callback, after the socket listens.
        line = read_until(process, "Starting development server at ", log)
        drain = threading.Thread(target=lambda: log.extend(process.stdout), daemon=True)
        drain.start()
        yield re.search(r"(http://127\.0\.0\.1:\d+)/", line).group(1)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def read_until(process, text, log):
    """The first output line holding ``text`` (the lines before it go to ``log``)."""
    for line in process.stdout:
        log.append(line)
        if text in line:
            return line
    process.wait(timeout=20)
    raise AssertionError(f"runserver exited ({process.returncode}) before saying {text!r}:\n{''.join(log)}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect())


def get(url):
    try:
        with OPENER.open(url, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def assert_guarded(base, *, command, named):
    for path in PAGES:
        status, html = get(base + path)
        assert status == 503, (path, status, html[:800])
        assert command in html and named in html, (path, html)
        assert "<script" not in html and "http" not in html.split("<body>")[1]  # plain HTML, no CDN


def rollback_then_serve(project):
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    rollback = project.run("safe_migrate", "--rollback", "--noinput", scenario="add_column")
    assert assert_clean(rollback, 0).startswith("Database rolled back: 1 migration undone")
    warned = rollback.stdout + rollback.stderr
    assert "previous release of the code" in warned and "answers 503" in warned
    assert PENDING not in project.applied()

    with running_server(project, ORB_SCENARIO="add_column") as base:
        assert_guarded(base, command="python manage.py safe_migrate", named=PENDING)
        assert PENDING not in project.applied()  # the guard only reads

        again = project.run("safe_migrate", "--noinput", scenario="add_column")
        assert assert_clean(again, 0).startswith("Database upgraded: 1 migration applied")
        assert PENDING in project.applied()

        # The same process, never restarted: the journal changed, so it compared again.
        status, html = get(base + "/admin/login/")
        assert status == 200, html[:800]
        assert get(base + "/")[0] == 302
        assert get(base + "/dashboard/")[0] == 302  # to the login page, not 503

    # Older code (scenario base) on the newer database: ahead, deploy the matching release.
    with running_server(project, ORB_SCENARIO="base") as base:
        assert_guarded(base, command="safe_migrate --rollback", named=PENDING)
        status, html = get(base + "/admin/login/")
        assert "deploy the release of ORB that matches the database" in html


def test_pages_answer_503_naming_safe_migrate_after_a_rollback_on_sqlite(project):
    rollback_then_serve(project)


@pytest.mark.postgres
def test_pages_answer_503_naming_safe_migrate_after_a_rollback_on_postgresql(tmp_path):
    name = f"orb_guard_{uuid.uuid4().hex[:10]}"
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        pg = PgProject(tmp_path, name=name)
        assert_clean(pg.run("safe_migrate", "--noinput"), 0)
        rollback_then_serve(pg)
        assert (pg.state_dir / f"{name}.safe_migrate.journal.jsonl").exists()
    finally:
        drop_database(name)
