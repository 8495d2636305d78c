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
