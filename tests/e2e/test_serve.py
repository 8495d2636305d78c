"""The production server (issue 18): `make serve` runs gunicorn with DEBUG off and WhiteNoise.

A crew browser reaches the box as http://orb.ship.local:<port>/ on the ship's LAN; here every
request goes to 127.0.0.1 with that name in its Host header (DJANGO_ALLOWED_HOSTS maps it), over
plain HTTP (DJANGO_SECURE_SSL_REDIRECT=0, the documented ship setting).  The server is started
with `make serve`, waited for on its own log lines, and stopped with SIGTERM to gunicorn's master,
which must end `make` with status 0.  No sleeps, no traffic beyond loopback.
"""

import gzip
import http.client
import os
import queue
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest

from .conftest import ROOT, Gate, assert_clean, finish

pytestmark = pytest.mark.e2e

HOST = "orb.ship.local"
USER, PASSWORD = "chief", "a-long-enough-password-1"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(tmp_path, **extra):
    """The environment file's variables (deploy/orb.env.example), filled in for a test box."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "ORB_", "WEB_")) and k not in ("DATABASE_URL", "PYTHONPATH", "MAKEFLAGS")
    }
    env.update(
        {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'orb.db'}",
            "ORB_STATIC_ROOT": str(tmp_path / "static"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra)
    return env


def manage(*args, env, code=0, input=None):
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        input=input,
    )
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result


class Server:
    """A running server process whose output is read line by line on a thread."""

    def __init__(self, command, *, env, port, cwd=ROOT):
        self.port = port
        self.lines = queue.Queue()
        self.seen = []
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.master = None

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern, timeout=120):
        """The first line from now on matching ``pattern`` (a regex); fails if the server ends first."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"never saw {pattern!r}; output:\n{''.join(self.seen)}") from None
            if line is None:
                self.process.wait(timeout=30)
                raise AssertionError(
                    f"the server ended (exit {self.process.returncode}) before {pattern!r}:\n{''.join(self.seen)}"
                )
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def wait_listening(self):
        """gunicorn's master says where it listens and its pid; then one worker is up."""
        match = self.wait_for(rf"Listening at: http://127\.0\.0\.1:{self.port} \((\d+)\)")
        self.master = int(match.group(1))
        self.wait_for(r"Booting worker with pid")
        return self

    def stop(self):
        """SIGTERM to gunicorn's master: a graceful stop, after which `make` ends with 0."""
        os.kill(self.master, signal.SIGTERM)
        self.wait_for(r"Shutting down: Master", timeout=60)
        code = self.process.wait(timeout=60)
        self.lines.put(None)
        return code

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def make_serve(env, port):
    return Server(["make", "--no-print-directory", "serve", f"PORT={port}", "BIND=127.0.0.1"], env=env, port=port)


class Browser:
    """Plain HTTP/1.1 to 127.0.0.1 under the ship's host name, keeping cookies as a browser would."""

    def __init__(self, port, host=HOST):
        self.port = port
        self.host = f"{host}:{port}"
        self.cookies = {}

    def request(self, method, path, *, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            sent = {"Host": self.host, **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            assert "secure" not in header.lower().split(";")[1:], f"a Secure cookie over plain HTTP is lost: {header}"
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, data

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def log_in(self, username, password):
        response, page = self.get("/admin/login/?next=/admin/")
        assert response.status == 200, page[:500]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"}
        )
        origin = f"http://{self.host}"
        response, page = self.request(
            "POST",
            "/admin/login/?next=/admin/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": origin + "/admin/login/",
            },
        )
        assert response.status == 302, page[:2000]
        assert response.headers["Location"] == "/admin/"
        assert "sessionid" in self.cookies


def first_user(env):
    """The first Chief Engineer account, as docs/DEPLOYMENT.md creates it (createsuperuser --noinput)."""
    manage(
        "createsuperuser",
        "--noinput",
        "--username",
        USER,
        "--email",
        "chief@example.org",
        env={**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )


def test_make_serve_logs_in_over_plain_http_with_static_css(tmp_path):
    env = production_env(tmp_path)
    manage("safe_migrate", "--noinput", env=env)
    first_user(env)
    port = free_port()
    server = make_serve(env, port)
    try:
        server.wait_listening()
        assert any("DJANGO_DEBUG=0" in line for line in server.seen), "make serve forces DEBUG off"
        browser = Browser(port)
        browser.log_in(USER, PASSWORD)
        response, page = browser.get("/admin/")
        assert response.status == 200 and USER.encode() in page
        response, dashboard = browser.get("/dashboard/")
        assert response.status == 200, dashboard[:2000]

        # The page's stylesheet, served by WhiteNoise from the collected files (gzipped when asked).
        css = re.search(rb'<link rel="stylesheet" href="(/static/[^"]+\.css)"', page).group(1).decode()
        response, body = browser.get(css)
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/css")
        collected = (tmp_path / "static" / css.removeprefix("/static/")).read_bytes()
        assert body == collected and len(body) > 100
        response, zipped = browser.get(css, headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped) == collected

        # DEBUG is off: a missing page is the plain 404, not Django's debug page; an unknown host is refused.
        response, missing = browser.get("/no-such-page/")
        assert response.status == 404 and b"URLconf" not in missing
        response, _ = Browser(port, host="attacker.example").get("/admin/login/")
        assert response.status == 400
        response, health = browser.get("/healthz")
        assert response.status == 200 and health == b'{"status": "ok"}'
    except BaseException:
        server.kill()
        raise
    assert server.stop() == 0, "".join(server.seen)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


def test_make_serve_refuses_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    env.pop("DJANGO_SECRET_KEY")
    result = subprocess.run(
        ["make", "--no-print-directory", "serve", f"PORT={free_port()}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "make serve: set DJANGO_SECRET_KEY to a long random value first" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "static").exists()


def test_during_a_safe_migrate_run_the_server_answers_503_then_works_again(project, tmp_path):
    """Upgrade as docs/DEPLOYMENT.md says: the new code is served (503: the database is behind),
    safe_migrate runs (503: maintenance, static files still served), and then pages work, with
    no restart of the server."""
    gate = Gate(tmp_path / "gate")
    env = production_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{project.db}",
        DJANGO_SETTINGS_MODULE="tests.e2e.settings",
        ORB_SCENARIO="slow",
        PYTHONPATH=str(ROOT),
    )
    port = free_port()
    server = make_serve(env, port)
    run = None
    try:
        server.wait_listening()
        browser = Browser(port)
        response, page = browser.get("/admin/login/")
        assert response.status == 503 and b"safe_migrate" in page  # the schema guard: run safe_migrate
        response, health = browser.get("/healthz")
        assert response.status == 503 and b"schema" in health

        run = project.popen("safe_migrate", "--noinput", ORB_SCENARIO="slow", **gate.env())
        gate.wait_reached(run)  # inside the migration: the lock is held with maintenance on
        response, page = browser.get("/admin/login/")
        assert response.status == 503 and b"Database maintenance in progress" in page
        response, health = browser.get("/healthz")
        assert response.status == 503 and b"maintenance" in health
        response, _ = browser.get("/static/admin/css/base.css")
        assert response.status == 200
        gate.release()
        out, err = finish(run)
        assert run.returncode == 0, err

        response, page = browser.get("/admin/login/")
        assert response.status == 200 and b"csrfmiddlewaretoken" in page
        response, health = browser.get("/healthz")
        assert response.status == 200
    except BaseException:
        if run is not None and run.poll() is None:
            gate.release()
            finish(run)
        server.kill()
        raise
    assert server.stop() == 0
    assert "scenario.0002_slow" in project.applied()
    assert_clean(project.run("safe_migrate", "--status", scenario="slow"), 0)
