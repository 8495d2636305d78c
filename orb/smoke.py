"""Smoke checks: exercise the whole app once against the current database schema.

safe_migrate calls run_smoke_checks() inside a savepoint that it rolls back. The
checks never assume existing data: they create what they need (a tank with a
calibration table, an active service tank pair if none, a hitch baseline, a fuel
ticket, a weekly sounding and so its ORB entries) and then render the dashboard,
the ORB book and this project's own admin changelists as a temporary superuser.
Each changelist is asked for a sample of its table (``?pk__in=``: the oldest and the newest
few rows by primary key), so it costs the same at a thousand rows or a million: the page still
selects every column, converts and displays real rows old and new, and renders its filters, date
hierarchy and templates, but counts and dates a handful of rows instead of the whole history.
The admin's chrome (header, navigation sidebar, the record's status) is the same on every admin
page: the first list renders it in full, the others render every part of the list that depends on
their model, rows and ModelAdmin (``LIST_CONTENT``: breadcrumbs' link, object tools, search, date
hierarchy, actions, the rows, pagination, filters), and a list with a template of its own is always
rendered in full.
Everything runs in an atomic block that is always rolled back here too, so nothing is
committed even when called outside a transaction.

Only the project's own apps' pages are checked (``project_app``): a third-party page that
redirects by design (django CMS's page list) or needs its own setup is not a failure of
the migration; its own package tests it.
"""

import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.autoreload import get_template_directories
from django.template.loader import get_template, select_template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from orb.safemigrate.drift import in_project
from orb.safemigrate.drift import is_project_app as project_app  # one rule: inside BASE_DIR, not site-packages

SAMPLE_ROWS = 5  # rows from each end of a table (by primary key) that its admin list renders
LIST_CONTENT = "orb/smoke/change_list_content.html"  # an admin list without the admin's chrome
DJANGO_ADMIN = Path(admin.__file__).resolve().parent


class SmokeCheckError(Exception):
    """A smoke check failed; the message says which and why."""


_preparing = threading.Lock()
_prepared = threading.Event()


def prepare_smoke_checks():
    """What the pages need that reads no database, done once per process: Django's URL patterns
    built and the templates compiled (every template in this project's own folders, and the
    admin's).  safe_migrate runs it in a second thread while it copies the backup, which waits in
    SQLite, not in Python (``checks.prepare_smoke``), so a cold process does not pay for it inside
    the plan's transaction; run_smoke_checks() waits for it, or does it first.  A template that
    does not compile is left to the page that renders it, which reports it."""
    with _preparing:
        if _prepared.is_set():
            return
        reverse("admin:index")
        for name in _template_names():
            try:
                get_template(name)
            except Exception:  # noqa: BLE001, S112 - the page that uses it says what is wrong
                continue
        _prepared.set()


def _template_names():
    """Names of the templates in this project's folders, then those of Django's admin."""
    folders = [folder for folder in get_template_directories() if in_project(folder)]
    folder = DJANGO_ADMIN / "templates"
    own = [path.relative_to(mine).as_posix() for mine in folders for path in mine.rglob("*.html")]
    return own + [path.relative_to(folder).as_posix() for path in (folder / "admin").rglob("*.html")]


def run_smoke_checks():
    """Run every smoke check; returns the list of checks passed, raises SmokeCheckError."""
    prepare_smoke_checks()
    passed = []
    with transaction.atomic():
        try:
            _run(passed)
        finally:
            transaction.set_rollback(True)
    return passed


run_smoke_checks.prepare = prepare_smoke_checks  # what safe_migrate may run ahead (checks.prepare_smoke)


def _step(passed, name, func):
    try:
        result = func()
    except SmokeCheckError:
        raise
    except Exception as exc:  # any failure becomes one clear message
        raise SmokeCheckError(f"Smoke check '{name}' failed: {type(exc).__name__}: {exc}") from exc
    passed.append(name)
    return result


@dataclass
class SmokeRun:
    """What the checks share: the moment, a unique tank designation, what earlier checks made."""

    passed: list
    now: datetime = field(default_factory=timezone.now)
    today: date = field(default_factory=timezone.localdate)
    designation: str = field(default_factory=lambda: f"SMOKE-{uuid.uuid4().hex[:8]}")
    tank: object = None
    user: object = None
    admin_chrome_rendered: bool = False  # an admin list was rendered in full (header, sidebar, status)
    factory: RequestFactory = field(default_factory=RequestFactory)

    def step(self, name, func):
        return _step(self.passed, name, func)

    def get(self, path):
        request = self.factory.get(path)
        request.user = self.user
        request.session = {}
        return request


def _run(passed):
    run = SmokeRun(passed=passed)
    run.tank = run.step("create a tank with a calibration table", lambda: _make_tank(run))
    run.step("find or activate a service tank pair", lambda: _find_or_activate_pair(run))
    run.step("record a hitch baseline", lambda: _record_hitch(run))
    run.step("record a fuel ticket", lambda: _record_ticket(run))
    run.step("record a weekly sounding and its ORB entries", lambda: _record_sounding(run))
    run.user = run.step("create a temporary superuser", _make_superuser)
    _render_pages(run)


def _make_tank(run):
    from soundings.models import CalibrationRow, CalibrationVersion, Tank

    tank = Tank(
        designation=run.designation,
        name="Smoke check sludge tank",
        iopp_section=Tank.IoppSection.SLUDGE,
        capacity_gallons=Decimal("100"),
    )
    tank.full_clean()
    tank.save()
    version = CalibrationVersion.objects.create(tank=tank, number=1, source="smoke check")
    CalibrationRow.objects.bulk_create(
        [
            CalibrationRow(tank=tank, version=version, feet=0, inches=0, gallons=Decimal("0")),
            CalibrationRow(tank=tank, version=version, feet=1, inches=0, gallons=Decimal("100")),
        ]
    )
    return tank


def _find_or_activate_pair(run):
    from fueltickets.models import ServiceTankPair

    return ServiceTankPair.active_pair() or ServiceTankPair.activate(label="SMOKE", at=run.now)


def _record_hitch(run):
    from fueltickets.models import HitchRecord

    return HitchRecord.objects.create(
        vessel="Smoke check", date=run.today, total_fuel_gallons=Decimal("1000"), engineer_name="smoke"
    )


def _record_ticket(run):
    from fueltickets.models import DailyFuelTicket
    from fueltickets.ticket_rules import open_day

    day, start = open_day()  # one ticket per day: a day the rules accept
    end = min(start + Decimal("1.0"), Decimal("999999.9"))
    ticket = DailyFuelTicket(ticket_date=day, meter_start=start, meter_end=end, engineer_name="smoke")
    ticket.save()
    if ticket.consumption_gallons != end - start:
        raise SmokeCheckError("Smoke check 'record a fuel ticket' failed: consumption was not derived.")


def _record_sounding(run):
    from soundings.models import OrbEntry, WeeklySounding

    sounding = WeeklySounding(
        tank=run.tank,
        recorded_at=run.now,
        feet=0,
        inches=6,
        engineer_name="smoke",
        engineer_title="Engineer",
    )
    sounding.save()
    texts = list(OrbEntry.objects.filter(sounding=sounding).values_list("item", "text"))
    expected = [("11.1", f"{run.designation} Smoke check sludge tank"), ("11.2", "0.38 m³"), ("11.3", "0.19 m³")]
    if texts[:3] != expected:
        raise SmokeCheckError(f"Smoke check 'record a weekly sounding' wrote unexpected ORB entries: {texts}.")


def _make_superuser():
    return get_user_model().objects.create_superuser(username=f"smoke-{uuid.uuid4().hex[:12]}", email="", password=None)


def _render(name, response):
    if hasattr(response, "render"):
        response.render()
    if response.status_code != 200:
        raise SmokeCheckError(f"Smoke check '{name}' failed: HTTP {response.status_code}.")


def sample_query(model):
    """The query string of an admin list bounded to the oldest and newest SAMPLE_ROWS rows of
    ``model`` by primary key (two lookups at the ends of its index), or "" for an empty table or
    keys the admin's comma-separated ``__in`` cannot carry."""
    keys = model._base_manager.order_by("pk").values_list("pk", flat=True)
    oldest, newest = list(keys[:SAMPLE_ROWS]), list(keys.reverse()[:SAMPLE_ROWS])
    texts = [str(key) for key in dict.fromkeys([*oldest, *reversed(newest)])]
    if not texts or any("," in text for text in texts):
        return ""
    return "?" + urlencode({"pk__in": ",".join(texts)})


def _render_pages(run):
    """The dashboard, the book and the admin list of every model of this project's own apps."""
    from orb import views
    from soundings import views as book_views

    run.step("render the dashboard", lambda: _render("render the dashboard", views.dashboard(run.get("/dashboard/"))))
    run.step("render the ORB book", lambda: _render("render the ORB book", book_views.orb_book(run.get("/orb-book/"))))
    with _site_context_computed_once(admin.site):
        for model, model_admin in admin.site._registry.items():
            if not project_app(model._meta.app_config):
                continue
            name = f"render the admin list of {model._meta.label}"
            run.step(
                name,
                lambda name=name, model=model, model_admin=model_admin: _render_list(run, name, model, model_admin),
            )


@contextmanager
def _site_context_computed_once(site):
    """The admin site's own context (its titles, the sidebar's list of every app and model, the
    user's recent actions) is the same on every admin page of one user: the first list computes it
    and the others get a copy, instead of building the app list again for each (a third of a
    list's time).  Only for this run's lists: the site's own method is back when they are done."""
    first, compute = {}, site.each_context  # the site's own method, bound before it is shadowed

    def each_context(request):
        if not first:
            first.update(compute(request))
        return dict(first)

    site.each_context = each_context
    try:
        yield
    finally:
        del site.each_context


def _render_list(run, name, model, model_admin):
    path = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{sample_query(model)}"
    response = model_admin.changelist_view(run.get(path))
    if run.admin_chrome_rendered and _djangos_own_list_template(response):
        response.template_name = LIST_CONTENT
    _render(name, response)
    run.admin_chrome_rendered = True


def _djangos_own_list_template(response):
    """True when ``response`` would render Django's own admin/change_list.html (not a project's
    or a ModelAdmin's own list template, which is always rendered in full)."""
    names = getattr(response, "template_name", None)
    if not names:
        return False
    origin = select_template([names] if isinstance(names, str) else names).origin
    return origin.template_name == "admin/change_list.html" and Path(origin.name).is_relative_to(DJANGO_ADMIN)
