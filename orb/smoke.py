"""Smoke checks: exercise the whole app once against the current database schema.

safe_migrate calls run_smoke_checks() inside a savepoint that it rolls back. The
checks never assume existing data: they create what they need (a tank with a
calibration table, an active service tank pair if none, a hitch baseline, a fuel
ticket, a weekly sounding and so its ORB entries) and then render the dashboard,
the ORB book and this project's own admin changelists as a temporary superuser.
Everything runs in an atomic block that is always rolled back here too, so nothing is
committed even when called outside a transaction.

Only the project's own apps' pages are checked (``project_app``): a third-party page that
redirects by design (django CMS's page list) or needs its own setup is not a failure of
the migration; its own package tests it.
"""
import uuid
from decimal import Decimal

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from orb.safemigrate.drift import is_project_app as project_app  # one rule: inside BASE_DIR, not site-packages


class SmokeCheckError(Exception):
    """A smoke check failed; the message says which and why."""


def run_smoke_checks():
    """Run every smoke check; returns the list of checks passed, raises SmokeCheckError."""
    passed = []
    with transaction.atomic():
        try:
            _run(passed)
        finally:
            transaction.set_rollback(True)
    return passed


def _step(passed, name, func):
    try:
        result = func()
    except SmokeCheckError:
        raise
    except Exception as exc:  # any failure becomes one clear message
        raise SmokeCheckError(f"Smoke check '{name}' failed: {type(exc).__name__}: {exc}") from exc
    passed.append(name)
    return result


def _run(passed):
    from fueltickets.models import DailyFuelTicket, HitchRecord, ServiceTankPair
    from orb import views
    from soundings.models import CalibrationRow, OrbEntry, Tank, WeeklySounding

    now = timezone.now()
    today = timezone.localdate()
    designation = f"SMOKE-{uuid.uuid4().hex[:8]}"

    def make_tank():
        tank = Tank(
            designation=designation, name="Smoke check sludge tank",
            iopp_section=Tank.IoppSection.SLUDGE, capacity_gallons=Decimal("100"),
        )
        tank.full_clean()
        tank.save()
        CalibrationRow.objects.bulk_create(
            [
                CalibrationRow(tank=tank, feet=0, inches=0, gallons=Decimal("0")),
                CalibrationRow(tank=tank, feet=1, inches=0, gallons=Decimal("100")),
            ]
        )
        return tank

    tank = _step(passed, "create a tank with a calibration table", make_tank)

    def make_pair():
        pair = ServiceTankPair.active_pair()
        return pair or ServiceTankPair.activate(label="SMOKE", at=now)

    _step(passed, "find or activate a service tank pair", make_pair)
    _step(
        passed,
        "record a hitch baseline",
        lambda: HitchRecord.objects.create(
            vessel="Smoke check", date=today, total_fuel_gallons=Decimal("1000"), engineer_name="smoke"
        ),
    )

    def make_ticket():
        start = DailyFuelTicket.next_meter_start() or Decimal("0")
        end = min(start + Decimal("1.0"), Decimal("999999.9"))
        ticket = DailyFuelTicket(ticket_date=today, meter_start=start, meter_end=end, engineer_name="smoke")
        ticket.save()
        if ticket.consumption_gallons != end - start:
            raise SmokeCheckError("Smoke check 'record a fuel ticket' failed: consumption was not derived.")

    _step(passed, "record a fuel ticket", make_ticket)

    def make_sounding():
        sounding = WeeklySounding(
            tank=tank, recorded_at=now, feet=0, inches=6,
            engineer_name="smoke", engineer_title="Engineer",
        )
        sounding.save()
        texts = list(OrbEntry.objects.filter(sounding=sounding).values_list("item", "text"))
        if texts[:3] != [("11.1", f"{designation} Smoke check sludge tank"), ("11.2", "0.38 m³"), ("11.3", "0.19 m³")]:
            raise SmokeCheckError(f"Smoke check 'record a weekly sounding' wrote unexpected ORB entries: {texts}.")

    _step(passed, "record a weekly sounding and its ORB entries", make_sounding)

    user = _step(
        passed,
        "create a temporary superuser",
        lambda: get_user_model().objects.create_superuser(
            username=f"smoke-{uuid.uuid4().hex[:12]}", email="", password=None
        ),
    )
    factory = RequestFactory()

    def get(path):
        request = factory.get(path)
        request.user = user
        request.session = {}
        return request

    def render(name, response):
        if hasattr(response, "render"):
            response.render()
        if response.status_code != 200:
            raise SmokeCheckError(f"Smoke check '{name}' failed: HTTP {response.status_code}.")

    _step(passed, "render the dashboard", lambda: render("render the dashboard", views.dashboard(get("/dashboard/"))))
    _step(passed, "render the ORB book", lambda: render("render the ORB book", views.orb_book(get("/orb-book/"))))
    for model, model_admin in admin.site._registry.items():
        if not project_app(model._meta.app_config):
            continue
        name = f"render the admin list of {model._meta.label}"
        _step(passed, name, lambda name=name, model_admin=model_admin: render(
            name, model_admin.changelist_view(get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/"))
        ))
