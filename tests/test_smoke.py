import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from fueltickets.models import DailyFuelTicket, HitchRecord, ServiceTankPair
from orb import smoke, views
from soundings import views as book_views
from soundings.models import CalibrationRow, OrbEntry, Tank, WeeklySounding

MODELS = [Tank, CalibrationRow, WeeklySounding, OrbEntry, ServiceTankPair, DailyFuelTicket, HitchRecord, User]


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


def test_smoke_checks_pass_on_an_empty_database(db):
    before = counts()
    passed = smoke.run_smoke_checks()
    assert "render the dashboard" in passed
    assert "render the admin list of soundings.OrbEntry" in passed
    assert counts() == before


def test_smoke_checks_pass_with_existing_data(tanks, active_pair):
    before = counts()
    smoke.run_smoke_checks()
    assert counts() == before
    assert ServiceTankPair.active_pair() == active_pair


@pytest.mark.django_db(transaction=True)
def test_smoke_checks_commit_nothing_outside_a_transaction():
    before = counts()
    smoke.run_smoke_checks()
    assert counts() == before


def test_failure_is_one_clear_message(db, monkeypatch):
    from django.http import HttpResponseServerError

    monkeypatch.setattr(views, "dashboard", lambda request: HttpResponseServerError("boom"))
    before = counts()
    with pytest.raises(smoke.SmokeCheckError, match="Smoke check 'render the dashboard' failed: .*HTTP 500"):
        smoke.run_smoke_checks()
    assert counts() == before


def test_exception_in_a_view_is_reported(db, monkeypatch):
    def broken(request):
        raise RuntimeError("no such column: soundings_tank.colour")

    monkeypatch.setattr(book_views, "orb_book", broken)
    with pytest.raises(smoke.SmokeCheckError, match="'render the ORB book' failed: RuntimeError: no such column"):
        smoke.run_smoke_checks()


def test_only_this_projects_admin_lists_are_rendered(db, monkeypatch):
    """A third-party changelist that redirects by design (django CMS's page list) is not ours to check."""
    from django.apps import apps
    from django.contrib import admin
    from django.contrib.auth.models import Group
    from django.http import HttpResponseRedirect

    monkeypatch.setattr(
        admin.site._registry[Group],
        "changelist_view",
        lambda request, extra_context=None: HttpResponseRedirect("/elsewhere/"),
    )
    passed = smoke.run_smoke_checks()
    assert "render the admin list of soundings.Tank" in passed
    assert "render the admin list of fueltickets.DailyFuelTicket" in passed
    assert not any(name.startswith("render the admin list of auth.") for name in passed)
    assert smoke.project_app(apps.get_app_config("orb"))
    assert not smoke.project_app(apps.get_app_config("auth"))
    assert not smoke.project_app(apps.get_app_config("axes"))  # in the virtualenv, even inside the project


def test_a_redirect_on_our_own_admin_list_still_fails(db, monkeypatch):
    from django.contrib import admin
    from django.http import HttpResponseRedirect

    from soundings.models import Tank

    monkeypatch.setattr(
        admin.site._registry[Tank],
        "changelist_view",
        lambda request, extra_context=None: HttpResponseRedirect("/elsewhere/"),
    )
    with pytest.raises(smoke.SmokeCheckError, match="admin list of soundings.Tank' failed: HTTP 302"):
        smoke.run_smoke_checks()


def _hitch(day, **fields):
    return HitchRecord.objects.create(
        vessel="Test", date=day, total_fuel_gallons=Decimal("1000"), engineer_name="test", **fields
    )


def test_admin_lists_get_the_oldest_and_newest_rows(db):
    """Issue 17: an admin list renders a sample of its table, so a long history costs nothing more."""
    hitches = [_hitch(date(2020, 1, 1) + timedelta(days=n)) for n in range(2 * smoke.SAMPLE_ROWS + 3)]
    expected = [h.pk for h in hitches[: smoke.SAMPLE_ROWS]] + [h.pk for h in hitches[-smoke.SAMPLE_ROWS :]]
    assert smoke.sample_query(HitchRecord) == "?pk__in=" + "%2C".join(map(str, expected))
    assert smoke.sample_query(CalibrationRow) == ""  # an empty table: the list as it is


def test_the_sampled_admin_list_shows_real_rows_and_the_run_writes_nothing(db, monkeypatch):
    from django.contrib import admin

    hitches = [_hitch(date(2020, 1, 1) + timedelta(days=n)) for n in range(2 * smoke.SAMPLE_ROWS + 3)]
    model_admin = admin.site._registry[HitchRecord]
    shown = []

    def changelist_view(request, extra_context=None):
        response = type(model_admin).changelist_view(model_admin, request, extra_context)
        shown.extend(obj.pk for obj in response.context_data["cl"].result_list)
        return response

    monkeypatch.setattr(model_admin, "changelist_view", changelist_view)
    before = counts()
    smoke.run_smoke_checks()
    assert counts() == before
    oldest = {h.pk for h in hitches[: smoke.SAMPLE_ROWS]}
    middle = {h.pk for h in hitches[smoke.SAMPLE_ROWS : -smoke.SAMPLE_ROWS]}
    assert oldest <= set(shown)  # the oldest rows of the history are read and rendered
    assert hitches[-1].pk in shown  # so is the newest one (with the smoke check's own)
    assert not middle & set(shown)
    assert len(shown) == 2 * smoke.SAMPLE_ROWS


@pytest.mark.sqlite_file  # SQLite keeps any value in a numeric column; PostgreSQL refuses it at the UPDATE
@pytest.mark.parametrize("end", ["oldest", "newest"])
def test_an_unreadable_value_at_either_end_of_the_history_fails(db, end):
    """A value the migrated schema cannot give back (here a fuel figure that is not a number)
    in the oldest or the newest row fails the admin list's check."""
    from django.db import connection

    hitches = [_hitch(date(2020, 1, 1) + timedelta(days=n)) for n in range(2 * smoke.SAMPLE_ROWS + 3)]
    bad = hitches[0] if end == "oldest" else hitches[-1]
    with connection.cursor() as cursor:  # a dated row nothing else reads: only the admin list does
        cursor.execute(
            "UPDATE fueltickets_hitchrecord SET fuel_on_log = 'not a number', date = %s WHERE id = %s",
            [date(2001, 1, 1), bad.pk],
        )
    with pytest.raises(smoke.SmokeCheckError, match="admin list of fueltickets.HitchRecord' failed"):
        smoke.run_smoke_checks()


def test_the_admin_chrome_is_rendered_once_and_every_list_its_own_parts(db, monkeypatch):
    """Issue 17: the header, sidebar and record status are the same on every admin page; the first
    list renders them, the others render what depends on their model and rows. A list with a
    template of its own (the page signatures') is always rendered in full."""
    rendered = {}
    real_render = smoke._render

    def render(name, response):
        real_render(name, response)
        rendered[name] = (response.template_name, response.content.decode())

    monkeypatch.setattr(smoke, "_render", render)
    smoke.run_smoke_checks()
    lists = {name: page for name, page in rendered.items() if "admin list" in name}
    first, *others = lists
    full = [name for name, (template, _) in lists.items() if template != smoke.LIST_CONTENT]
    assert full == [first, "render the admin list of soundings.PageSignature"]
    assert 'id="nav-sidebar"' in lists[first][1] and "Working copy" in lists[first][1]
    tickets = lists["render the admin list of fueltickets.DailyFuelTicket"][1]
    assert 'id="nav-sidebar"' not in tickets and "Working copy" not in tickets
    assert 'id="result_list"' in tickets and 'class="paginator"' in tickets  # the rows, the counts


def test_a_broken_admin_chrome_fails_the_first_list(db, settings, tmp_path):
    (tmp_path / "admin").mkdir()
    (tmp_path / "admin" / "base_site.html").write_text(
        '{% extends "admin/base.html" %}{% block branding %}{% url "no-such-page" %}{% endblock %}'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    with pytest.raises(smoke.SmokeCheckError, match=r"admin list of \w+\.\w+' failed: NoReverseMatch"):
        smoke.run_smoke_checks()


def test_the_admin_sites_context_is_computed_once_per_run(db, monkeypatch):
    """Issue 17: the site's context (titles, the sidebar's app list) is the same on every list of
    one run: the first list computes it, the others reuse it, and the site's own method is back
    afterwards (also when a list fails)."""
    from django.contrib import admin
    from django.contrib.admin import AdminSite

    calls = []
    real = AdminSite.each_context

    def each_context(site, request):
        calls.append(request.path)
        return real(site, request)

    monkeypatch.setattr(AdminSite, "each_context", each_context)
    smoke.run_smoke_checks()
    assert len(calls) == 1 and calls[0].startswith("/admin/orb/")
    assert "each_context" not in vars(admin.site._wrapped)
    real_render = smoke._render

    def render(name, response):
        if "admin list of soundings" in name:
            raise RuntimeError("a list fails (made up by the test)")
        real_render(name, response)

    monkeypatch.setattr(smoke, "_render", render)
    with pytest.raises(smoke.SmokeCheckError, match="made up by the test"):
        smoke.run_smoke_checks()
    assert "each_context" not in vars(admin.site._wrapped)


def test_the_preparation_reads_no_database_and_compiles_the_pages_templates(monkeypatch):
    """Issue 17: what safe_migrate runs ahead, in a second thread before the plan's transaction,
    needs no database (pytest-django refuses one here) and leaves the templates compiled."""
    from django.template import engines

    monkeypatch.setattr(smoke, "_prepared", threading.Event())  # as in a new process
    engine = engines["django"].engine
    for loader in engine.template_loaders:
        loader.reset()
    smoke.prepare_smoke_checks()
    cached = {name for loader in engine.template_loaders for name in getattr(loader, "get_template_cache", {})}
    assert {"admin/change_list.html", "orb/dashboard.html", smoke.LIST_CONTENT} <= cached
    assert smoke._prepared.is_set()
