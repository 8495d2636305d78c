"""A login over plain HTTP on a ship's LAN, in a real browser, with production settings.

The server is ``manage.py runserver`` with ``orb.settings`` (not the test settings), DEBUG off
and ``DJANGO_SECURE_SSL_REDIRECT=0``, on a real SQLite file migrated with safe_migrate.
Chromium reaches it as http://ship-orb.lan:<port>/ (mapped to 127.0.0.1), which is not a secure
context: a browser drops cookies marked ``Secure`` there, so the CSRF cookie would be lost and
the login would fail.  Debian's /usr/bin/chromium, driven by Playwright; no traffic leaves
127.0.0.1.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
HOST = "ship-orb.lan"
USER, PASSWORD = "chief", "a-long-enough-password-1"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def default_signals():
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def production_env(db):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "ORB_")) and k not in ("DATABASE_URL", "PYTHONPATH")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "orb.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": f"{HOST},127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": f"sqlite:///{db}",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def manage(*args, env):
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def wait_until_serving(process, url, timeout=60):
    """Poll the server until it answers over HTTP (any status), failing if it exits."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while True:
        try:
            opener.open(url, timeout=5).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError as exc:
            if process.poll() is not None:
                raise AssertionError(f"runserver exited {process.returncode}: {process.stdout.read()}") from exc
            if time.monotonic() > deadline:
                raise AssertionError("runserver never answered") from exc
            time.sleep(0.1)


@pytest.fixture
def server(tmp_path):
    db = tmp_path / "orb.db"
    env = production_env(db)
    manage("safe_migrate", "--noinput", env=env)
    manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        f"User.objects.create_superuser({USER!r}, 'chief@example.org', {PASSWORD!r})",
        env=env,
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=default_signals,
    )
    try:
        wait_until_serving(process, f"http://127.0.0.1:{port}/admin/login/")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()


def test_login_over_plain_http_with_debug_off(server):
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
    base = f"http://{HOST}:{server}"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-proxy-server",
                f"--host-resolver-rules=MAP {HOST} 127.0.0.1",
            ],
        )
        try:
            page = browser.new_page()
            page.goto(f"{base}/admin/login/?next=/admin/")
            assert page.evaluate("window.isSecureContext") is False  # the case that matters
            page.fill("input[name=username]", USER)
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.click("input[type=submit]")
            body = page.inner_text("body")
            assert page.url == f"{base}/admin/", (page.url, body[:1000])
            assert f"welcome, {USER}" in body.lower()  # the admin index, logged in
            cookies = {c["name"]: c for c in page.context.cookies()}
            assert {"csrftoken", "sessionid"} <= set(cookies), cookies
            assert cookies["sessionid"]["secure"] is False
            assert cookies["sessionid"]["expires"] == -1  # ends when the browser closes
        finally:
            browser.close()
