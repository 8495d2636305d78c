"""Browser tests (issue 15): Debian's /usr/bin/chromium driven by Playwright against a real server.

The server is ``manage.py runserver --insecure`` with the production settings (``orb.settings``,
DEBUG off) on a real SQLite file migrated with safe_migrate and with the sounding tables loaded;
one user per role, each with a rank, an active service tank pair, a hitch baseline 30 days ago and
a week of fuel tickets (SEED_FUEL). Every page a test opens is watched: a console error, an
uncaught page error or a 5xx response fails the test. Screenshots go to ``ORB_TEST_ARTIFACTS``
(default ``.artifacts/browser``), at 1280 px and at a 10" tablet's width, for a human to look at.
Nothing leaves 127.0.0.1: the browser reaches the server under a ship-like host name mapped to it.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT
from tests.e2e.test_browser_login import (
    CHROMIUM,
    default_signals,
    free_port,
    manage,
    production_env,
    wait_until_serving,
)

pytestmark = pytest.mark.browser

HOST = "engine-room.ship.lan"
PASSWORD = "a-long-enough-password-1"
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 800, "height": 1280}  # a 10" tablet held upright
ARTIFACTS = Path(os.environ.get("ORB_TEST_ARTIFACTS", ROOT / ".artifacts" / "browser"))
# username -> (full name, rank, group); the Inspector's account has an expiry date.
CREW = {
    "chief": ("R. Jones", "Chief Engineer", "Chief Engineer"),
    "smith": ("J. Smith", "2nd Engineer", "Engineer"),
    "master": ("P. Hale", "Master", "Master"),
    "inspector": ("M. Duval", "PSC Officer", "Inspector"),
    "viewer": ("K. Lee", "Cadet", "Viewer"),
}
MAKE_CREW = f"""
from datetime import timedelta
from django.contrib.auth.models import Group, User
from django.utils import timezone
from fueltickets.models import ServiceTankPair
from orb.models import UserProfile
for username, (name, rank, group) in {CREW!r}.items():
    first, last = name.split(" ", 1)
    user = User.objects.create_user(username, password={PASSWORD!r}, first_name=first, last_name=last, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    expires = timezone.now() + timedelta(days=3) if group == "Inspector" else None
    UserProfile.objects.update_or_create(user=user, defaults={{"rank": rank, "account_expires_at": expires}})
ServiceTankPair.objects.create(label="13", activated_at=timezone.now() - timedelta(days=30))
"""
# A hitch baseline 30 days ago (30,000.0 gal) and a week of tickets 9 to 3 days ago: the dashboard
# has numbers and a chart from the start. Tests that add tickets date them later; a hitch started
# by a test is dated between the two.
SEED_FUEL = """
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from fueltickets.models import DailyFuelTicket, FuelTankSounding, HitchRecord
from orb.shiptime import ship_date
today = ship_date(timezone.now())
baseline = HitchRecord(vessel="Arrowhead", date=today - timedelta(days=30), location="Port Fourchon, LA",
                       total_fuel_gallons=Decimal("30000.0"), engineer_name="R. Jones")
baseline.save()
for side in ("port", "stbd"):
    FuelTankSounding.objects.create(hitch=baseline, tank_number="7", side=side, feet=8, inches=0, gallons=15000)
start = Decimal("98650.0")
for days_ago, burned in zip(range(9, 2, -1), ("884.2", "902.7", "915.0", "876.9", "931.4", "897.3", "908.8")):
    end = start + Decimal(burned)
    DailyFuelTicket(ticket_date=today - timedelta(days=days_ago), meter_start=start, meter_end=end,
                    engineer_name="J. Smith").save()
    start = end
"""


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A production-settings server on a migrated SQLite file; yields its base URL."""
    db = tmp_path_factory.mktemp("browser") / "orb.db"
    env = production_env(db)
    env["DJANGO_ALLOWED_HOSTS"] = f"{HOST},127.0.0.1"
    manage("safe_migrate", "--noinput", env=env)
    manage("load_sounding_tables", env=env)
    manage("shell", "-c", MAKE_CREW, env=env)
    manage("shell", "-c", SEED_FUEL, env=env)
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
        yield f"http://{HOST}:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()


# Module scope, not session: Playwright's sync API runs one instance per thread at a time, and
# tests/e2e/test_browser_login.py starts its own after these tests in the same process.
@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is not installed: apt-get install -y chromium (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-proxy-server",
                f"--host-resolver-rules=MAP {HOST.split(':')[0]} 127.0.0.1",
            ],
        )
        try:
            yield launched
        finally:
            launched.close()


class Watched:
    """A browser page whose console errors, page errors and 5xx responses are collected."""

    def __init__(self, page, base):
        self.page, self.base, self.problems = page, base, []
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(f"console: {msg.text}"))
        page.on("requestfailed", self._failed)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status} {r.url}"))

    def _failed(self, request):
        if "ERR_ABORTED" not in (request.failure or ""):  # a page left while it loaded
            self.problems.append(f"failed: {request.url} {request.failure}")

    def go(self, path):
        response = self.page.goto(self.base + path)
        return response.status

    def login(self, username):
        self.go("/admin/login/?next=/dashboard/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("input[type=submit]")
        assert self.page.url.endswith("/dashboard/"), (self.page.url, self.page.inner_text("body")[:500])

    def screenshot(self, name, *, widths=(DESKTOP, TABLET)):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for size in widths:
            self.page.set_viewport_size(size)
            self.page.screenshot(path=str(ARTIFACTS / f"{name}-{size['width']}.png"), full_page=True)
        self.page.set_viewport_size(DESKTOP)

    def overflows(self):
        """Elements of the page's content wider than the window (cut off or scrolled sideways)."""
        return self.page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")


@pytest.fixture
def open_page(browser, server):
    """open_page() -> a Watched page in a fresh context; fails the test on console errors or 5xx."""
    pages = []

    def make():
        context = browser.new_context(viewport=DESKTOP)
        watched = Watched(context.new_page(), server)
        pages.append((context, watched))
        return watched

    yield make
    problems = [problem for _, watched in pages for problem in watched.problems]
    for context, _ in pages:
        context.close()
    assert problems == [], problems
