import pytest
from django.contrib.auth.models import User

from fueltickets.models import DailyFuelTicket, HitchRecord, ServiceTankPair
from orb import smoke, views
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

    monkeypatch.setattr(views, "orb_book", broken)
    with pytest.raises(smoke.SmokeCheckError, match="'render the ORB book' failed: RuntimeError: no such column"):
        smoke.run_smoke_checks()
