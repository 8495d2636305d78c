"""6. The web app during a run: a live ``runserver`` on the same database file.

While a migration held at a gate file holds the lock (maintenance on), every page answers 503 with the
maintenance page, and a login POST with valid credentials and a valid CSRF token writes
nothing (no session row, no last_login).  When the run has finished, the same server,
never restarted, answers normally: the login page is 200, the login POST is 302 and
creates its session, the dashboard is 200.
"""

import http.cookiejar
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.e2e import dbfacts
from tests.e2e.conftest import Gate, finish

from .helpers import assert_exit

pytestmark = pytest.mark.faults

USER, PASSWORD = "chief", "a-long-enough-password-1"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + "/admin/login/"})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def csrf(self):
        return next(c.value for c in self.jar if c.name == "csrftoken")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def login_form(browser):
    status, html = browser.request("/admin/login/")
    assert status == 200, html[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return {"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/admin/"}


def writes(db):
    """What a login writes: sessions and the user's last_login."""
    return dbfacts.count(db, "django_session"), dbfacts.rows(db, "SELECT last_login FROM auth_user")


@pytest.fixture
def server(project):
    made = project.run(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        f"User.objects.create_superuser({USER!r}, 'chief@example.org', {PASSWORD!r})",
    )
    assert made.returncode == 0, made.stderr
    port = free_port()
    process = subprocess.Popen(
        project.command("runserver", f"127.0.0.1:{port}", "--noreload"),
        # The ship's web app as deployed: the project's own settings, without
        # the test scenario app, so the schema guard compares the project's
        # migrations only (all applied) and the page before the run is 200.
        env=project.env(DJANGO_SETTINGS_MODULE="orb.settings", DJANGO_DEBUG="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/admin/login/", timeout=5)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            assert process.poll() is None, "runserver exited"
            assert time.monotonic() < deadline, "runserver never answered"
            time.sleep(0.2)
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def test_site_answers_503_during_a_run_and_works_after_it(project, server, tmp_path):
    browser = Browser(server)
    form = login_form(browser)  # cookie + token from before the run: a POST that would succeed
    before = writes(project.db)

    gate = Gate(tmp_path / "gate")
    run = project.popen("safe_migrate", "--noinput", ORB_SCENARIO="slow", **gate.env())
    try:
        gate.wait_reached(run)  # the migration is running, the lock held: the run waits for us
        for path in ("/", "/dashboard/", "/admin/", "/admin/login/", "/admin/fueltickets/dailyfuelticket/"):
            status, html = browser.request(path)
            assert status == 503, (path, status)
            assert "Database maintenance in progress" in html
        status, html = browser.request("/admin/login/", data=form)
        assert status == 503 and "Database maintenance in progress" in html
        assert run.poll() is None, "the run ended before the requests were made: the test proved nothing"
        assert writes(project.db) == before
    finally:
        gate.release()
        out, err = finish(run)
    assert run.returncode == 0, out + err
    assert "scenario.0002_slow" in project.applied()
    assert writes(project.db) == before

    # Same server, no restart: it works again.
    form = login_form(browser)
    status, _ = browser.request("/admin/login/", data=form)
    assert status == 302
    sessions, last_login = writes(project.db)
    assert sessions == before[0] + 1 and last_login != before[1]
    assert browser.request("/")[0] == 302  # to the dashboard
    status, html = browser.request("/dashboard/")
    assert status == 200, html[:500]
    status, _ = browser.request("/admin/fueltickets/dailyfuelticket/")
    assert status == 200
    assert_exit(project.run("safe_migrate", "--status", scenario="slow"), 0)
