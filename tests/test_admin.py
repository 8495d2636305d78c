import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fueltickets.models import DailyFuelTicket, FuelTankSounding, HitchRecord, ServiceTankPair
from soundings.models import OrbEntry, WeeklySounding
from tests.conftest import at, record_sounding, sign_all

OUR_MODELS = [m for m in admin.site._registry if m._meta.app_label in ("soundings", "fueltickets")]


def test_every_model_is_registered():
    from django.apps import apps

    for label in ("soundings", "fueltickets"):
        for model in apps.get_app_config(label).get_models():
            assert model in admin.site._registry, model


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def add_rows(tanks, pair, n, offset):
    for i in range(n):
        day = date(2025, 1, 1) + timedelta(days=offset + i)
        start = DailyFuelTicket.next_meter_start(day=day) or 0  # the meter runs on from the previous ticket
        DailyFuelTicket.objects.create(
            ticket_date=day, meter_start=start, meter_end=start + 10, engineer_name="x", service_tank_pair=pair
        )
        hitch = HitchRecord.objects.create(vessel="A", date=day, total_fuel_gallons=1000, engineer_name="x")
        FuelTankSounding.objects.create(hitch=hitch, tank_number=str(i), side="port", feet=1, inches=0, gallons=5)
        record_sounding(
            tanks["17S" if i % 2 else "17P"], feet=1, inches=i % 12, when=at(2025, 1, 1) + timedelta(days=offset + i)
        )
        ServiceTankPair.activate(label=f"P{offset + i}", at=at(2025, 4, 1) + timedelta(days=offset + i))


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_changelist_query_count_is_constant(
    client, make_user, tanks, active_pair, model, django_assert_max_num_queries
):
    client.force_login(make_user("root", superuser=True))
    add_rows(tanks, active_pair, 3, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(changelist_url(model)).status_code == 200
    add_rows(tanks, active_pair, 12, 10)
    with django_assert_max_num_queries(len(few)):
        response = client.get(changelist_url(model))
    assert response.status_code == 200


def test_signed_orb_entries_and_soundings_cannot_be_deleted_even_by_superuser(client, make_user, officer, tanks):
    sounding = record_sounding(tanks["17S"], feet=1, inches=0)
    entry = sign_all(sounding.entries.all(), officer)[0]
    client.force_login(make_user("root", superuser=True))
    assert client.get(reverse("admin:soundings_orbentry_delete", args=[entry.pk])).status_code == 403
    assert client.post(reverse("admin:soundings_orbentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:soundings_weeklysounding_delete", args=[sounding.pk])).status_code == 403
    assert client.get(reverse("admin:soundings_tank_delete", args=[tanks["17S"].pk])).status_code == 403
    response = client.post(changelist_url(OrbEntry), {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert OrbEntry.objects.count() == 3 and WeeklySounding.objects.count() == 1
    assert response.status_code in (200, 302)
    # Signed entries are view-only (a draft remark may be added); a recorded sounding is view-only too.
    assert (
        client.get(reverse("admin:soundings_orbentry_change", args=[entry.pk])).context["has_change_permission"]
        is False
    )
    page = client.get(reverse("admin:soundings_weeklysounding_change", args=[sounding.pk])).content.decode()
    assert 'name="feet"' not in page and "17S Dirty Oil Tank" in page


def test_ticket_form_defaults(client, make_user, active_pair):
    DailyFuelTicket.objects.create(
        ticket_date=date(2025, 3, 15),
        meter_start=0,
        meter_end=Decimal("1234.5"),
        engineer_name="x",
        service_tank_pair=active_pair,
    )
    client.force_login(make_user("root", superuser=True))
    form = client.get(reverse("admin:fueltickets_dailyfuelticket_add")).context["adminform"].form
    assert form.initial["meter_start"] == Decimal("1234.5")
    assert form.initial["service_tank_pair"] == active_pair.pk


def ticket_post(**overrides):
    data = {
        "ticket_date": timezone.localdate().isoformat(),
        "meter_start": "1000.0",
        "meter_end": "1450.5",
        "service_tank_pair": "",
        "engineer_name": "J. Smith",
        "notes": "",
    }
    data.update(overrides)
    return data


def sounding_post(tank, **overrides):
    now = timezone.localtime()
    data = {
        "tank": tank.pk,
        "recorded_at_0": now.date().isoformat(),
        "recorded_at_1": now.strftime("%H:%M:%S"),
        "kind": "scheduled",
        "feet": "1",
        "inches": "6",
        "quarters": "0",
        "manual_collection_m3": "",
        "manual_collection_source": "",
        "engineer_name": "J. Smith",
        "engineer_title": "2nd Engineer",
        "entries-TOTAL_FORMS": "0",
        "entries-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def errors_of(response):
    return [str(e) for e in response.context["errors"]] if response.context and response.context.get("errors") else []


def test_whole_flow_through_the_admin(client, make_user, tanks):
    make_user("chief", superuser=True)
    HitchRecord.objects.create(
        vessel="Arrowhead",
        date=timezone.localdate() - timedelta(days=3),
        total_fuel_gallons=Decimal("5000"),
        engineer_name="C",
    )
    ServiceTankPair.activate(label="13")

    response = client.post(reverse("admin:login"), {"username": "chief", "password": "pw-chief", "next": "/admin/"})
    assert response.status_code == 302
    before = client.get(reverse("dashboard")).context["data"]
    assert before.fuel_remaining == Decimal("5000") and before.today_consumption == 0

    response = client.post(reverse("admin:fueltickets_dailyfuelticket_add"), ticket_post())
    assert response.status_code == 302, errors_of(response)
    ticket = DailyFuelTicket.objects.get()
    assert ticket.consumption_gallons == Decimal("450.5") and ticket.created_by.username == "chief"
    assert str(ticket.service_tank_pair) == "#13 P/S"

    response = client.post(reverse("admin:soundings_weeklysounding_add"), sounding_post(tanks["17S"]))
    assert response.status_code == 302, errors_of(response)
    assert list(OrbEntry.objects.values_list("code", "item", "text")) == [
        ("C", "11.1", "17S Dirty Oil Tank"),
        ("C", "11.2", "6.08 m³"),
        ("C", "11.3", "2.34 m³"),
    ]

    after = client.get(reverse("dashboard")).context["data"]
    assert after.fuel_remaining == Decimal("4549.5")
    assert after.today_consumption == Decimal("450.5")
    assert {s.tank.designation: s.sounding for s in after.slop_tanks}["17S"].gallons == Decimal("619.00")
    page = client.get(reverse("admin:soundings_orbentry_changelist")).content.decode()
    assert "17S Dirty Oil Tank" in page and "2.34 m³" in page


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"meter_end": "999.0"},
            "Meter end (999.0) is below meter start (1000.0); check the readings, end must be at least start.",
        ),
        ({"meter_end": "1000000.0"}, "Meter readings are 0 to 999,999.9 gallons; check the digits."),
    ],
)
def test_bad_ticket_in_admin(client, make_user, active_pair, overrides, message):
    client.force_login(make_user("root", superuser=True))
    response = client.post(reverse("admin:fueltickets_dailyfuelticket_add"), ticket_post(**overrides))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert errors_of(response) == [f'<ul class="errorlist" id="id_meter_end_error"><li>{message}</li></ul>']
    assert not DailyFuelTicket.objects.exists()


def test_no_active_pair_in_admin(client, make_user, db):
    client.force_login(make_user("root", superuser=True))
    response = client.post(reverse("admin:fueltickets_dailyfuelticket_add"), ticket_post())
    assert response.status_code == 200
    assert "No service tank pair is active; activate one before recording a ticket." in response.content.decode()
    assert not DailyFuelTicket.objects.exists()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"inches": "12"}, "Inches must be 0–11; write 12 inches as one more foot."),
        (
            {"feet": "3", "inches": "2"},
            "17P: 3 ft 2 in is beyond the calibration table (0 ft 0 in to 3 ft 0 in); "
            "re-sound the tank or extend the table.",
        ),
    ],
)
def test_bad_sounding_in_admin(client, make_user, tanks, overrides, message):
    client.force_login(make_user("root", superuser=True))
    response = client.post(reverse("admin:soundings_weeklysounding_add"), sounding_post(tanks["17P"], **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WeeklySounding.objects.exists() and not OrbEntry.objects.exists()


def test_new_pair_in_admin_closes_the_previous(client, make_user, active_pair):
    client.force_login(make_user("root", superuser=True))
    now = timezone.localtime()
    response = client.post(
        reverse("admin:fueltickets_servicetankpair_add"),
        {
            "label": "14",
            "activated_at_0": now.date().isoformat(),
            "activated_at_1": now.strftime("%H:%M:%S"),
            "deactivated_at_0": "",
            "deactivated_at_1": "",
            "notes": "",
        },
    )
    assert response.status_code == 302, errors_of(response)
    active_pair.refresh_from_db()
    assert active_pair.deactivated_at is not None
    assert ServiceTankPair.active_pair().label == "14"


# --- logins: throttling, session length (issue 10) -------------------------------------------------
def login(client, password, address):
    return client.post(
        reverse("admin:login"), {"username": "chief", "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def test_five_failed_logins_lock_the_user_out_from_that_address_until_reset(client, make_user):
    from django.core.management import call_command
    from django.test import Client

    make_user("chief", group="Chief Engineer")
    for _ in range(4):
        assert login(client, "wrong-password", "10.0.0.1").status_code == 200  # the form again
    assert login(client, "wrong-password", "10.0.0.1").status_code == 429  # the fifth failure locks
    assert login(client, "pw-chief", "10.0.0.1").status_code == 429  # even with the right password
    assert "_auth_user_id" not in client.session

    # Another address is not locked out (lockout is per user and address).
    other = Client()
    assert login(other, "pw-chief", "10.0.0.2").status_code == 302

    # What the runbook tells the Chief Engineer to run.
    call_command("axes_reset_username", "chief", stdout=io.StringIO())
    assert login(client, "pw-chief", "10.0.0.1").status_code == 302


def test_the_chief_engineer_unlocks_a_user_in_the_admin(client, make_user):
    """Docs: the Chief Engineer deletes the locked-out attempt under Axes > Access attempts."""
    from axes.models import AccessAttempt
    from django.test import Client

    make_user("chief", group="Chief Engineer")
    for _ in range(5):
        login(client, "wrong-password", "10.0.0.1")
    assert login(client, "pw-chief", "10.0.0.1").status_code == 429
    attempt = AccessAttempt.objects.get(username="chief")

    boss = Client()
    boss.force_login(make_user("chief2", group="Chief Engineer"))
    changelist = boss.get(reverse("admin:axes_accessattempt_changelist"))
    assert changelist.status_code == 200 and b"chief" in changelist.content
    deleted = boss.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.filter(username="chief").exists()
    assert login(client, "pw-chief", "10.0.0.1").status_code == 302

    engineer = Client()
    engineer.force_login(make_user("eng", group="Engineer"))
    assert engineer.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


def test_a_successful_login_resets_the_failures(client, make_user):
    make_user("chief", group="Chief Engineer")
    for _ in range(4):
        login(client, "wrong-password", "10.0.0.1")
    assert login(client, "pw-chief", "10.0.0.1").status_code == 302
    client.logout()
    for _ in range(4):
        assert login(client, "wrong-password", "10.0.0.1").status_code == 200
    assert login(client, "pw-chief", "10.0.0.1").status_code == 302


def test_the_session_cookie_ends_with_the_browser(client, make_user):
    make_user("chief", group="Chief Engineer")
    response = login(client, "pw-chief", "10.0.0.1")
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""


def test_passwords_need_twelve_characters(db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Kx9!qTr4zW2")  # 11
    validate_password("Kx9!qTr4zW2m")  # 12


def test_records_added_in_the_admin_are_signed_by_the_logged_in_user(client, make_user, tanks, active_pair):
    user = make_user("chief", superuser=True)
    user.first_name, user.last_name = "Ann", "Lee"
    user.save()
    client.force_login(user)
    for name in ("fueltickets_dailyfuelticket_add", "soundings_weeklysounding_add"):
        assert client.get(reverse(f"admin:{name}")).context["adminform"].form.initial["engineer_name"] == "Ann Lee"
    response = client.post(reverse("admin:soundings_weeklysounding_add"), sounding_post(tanks["17P"]))
    assert response.status_code == 302, errors_of(response)
    sounding = WeeklySounding.objects.get()
    assert sounding.created_by == user and {e.created_by for e in sounding.entries.all()} == {user}


def test_rows_in_use_cannot_be_deleted(client, make_user, tanks, active_pair):
    client.force_login(make_user("root", superuser=True))
    tank, row = tanks["17P"], tanks["17P"].calibration_rows.first()
    pages = [
        reverse("admin:soundings_tank_delete", args=[tank.pk]),
        reverse("admin:soundings_calibrationrow_delete", args=[row.pk]),
        reverse("admin:fueltickets_servicetankpair_delete", args=[active_pair.pk]),
    ]
    tank_page = reverse("admin:soundings_tank_change", args=[tank.pk])
    assert [client.get(page).status_code for page in pages] == [200, 200, 200]
    assert "calibration_rows-0-DELETE" in client.get(tank_page).content.decode()

    record_sounding(tank, feet=1, inches=0)
    DailyFuelTicket.objects.create(ticket_date=date(2025, 3, 2), meter_start=0, meter_end=1, engineer_name="x")
    assert [client.get(page).status_code for page in pages] == [403, 403, 403]
    assert "calibration_rows-0-DELETE" not in client.get(tank_page).content.decode()
    assert client.get(reverse("admin:soundings_tank_delete", args=[tanks["17S"].pk])).status_code == 200


def test_orb_tables_are_registered_and_offsets_are_append_only(client, make_user):
    from orb.models import ShipTimeOffset, UserProfile, VesselParticulars

    for model in (ShipTimeOffset, UserProfile, VesselParticulars):
        assert model in admin.site._registry, model
    offset = ShipTimeOffset.objects.create(effective_from=at(2025, 3, 1), offset_minutes=-360)
    client.force_login(make_user("root", superuser=True))
    assert client.get(changelist_url(ShipTimeOffset)).status_code == 200
    assert client.get(reverse("admin:orb_shiptimeoffset_add")).status_code == 200
    assert client.get(reverse("admin:orb_shiptimeoffset_delete", args=[offset.pk])).status_code == 403
    response = client.post(
        reverse("admin:orb_shiptimeoffset_change", args=[offset.pk]),
        {"effective_from_0": "2025-03-01", "effective_from_1": "00:00:00", "offset_minutes": 60},
    )
    assert response.status_code == 403
    offset.refresh_from_db()
    assert offset.offset_minutes == -360
