from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orb.context_processors import WORKING_COPY_NOTICE
from orb.models import VesselParticulars, validate_imo_number


@pytest.mark.parametrize("number", ["9074729", "9176187", "8814275"])
def test_valid_imo_numbers(number):
    validate_imo_number(number)


@pytest.mark.parametrize(
    "number, fragment",
    [
        ("9074728", "fails its check digit (expected 9 last)"),
        ("907472", "is not 7 digits"),
        ("IMO9074729", "is not 7 digits"),
        ("９０７４７２９", "is not 7 digits"),
    ],
)
def test_invalid_imo_numbers(number, fragment):
    with pytest.raises(ValidationError) as error:
        validate_imo_number(number)
    assert fragment in error.value.messages[0]


def test_current_is_an_unsaved_default_until_entered(db):
    vessel = VesselParticulars.current()
    assert vessel.pk is None and not vessel.approved and vessel.lines_per_page == 25
    VesselParticulars.objects.create(name="MV Example", imo_number="9074729")
    assert VesselParticulars.current().name == "MV Example"


def test_approved_needs_reference_and_date(db):
    vessel = VesselParticulars(name="MV Example", imo_number="9074729")
    assert not vessel.approved
    vessel.flag_approval_reference = "FLAG/ERB/2025/17"
    with pytest.raises(ValidationError, match="both the flag approval reference and its date"):
        vessel.full_clean()
    vessel.flag_approval_date = date(2025, 5, 1)
    vessel.full_clean()
    assert vessel.approved


def test_only_one_row(db):
    VesselParticulars.objects.create(name="MV Example", imo_number="9074729")
    second = VesselParticulars(name="MV Other", imo_number="9176187")
    with pytest.raises(ValidationError, match="already exist"):
        second.full_clean()


def approve():
    VesselParticulars.objects.update_or_create(
        singleton=True,
        defaults={
            "name": "MV Example",
            "imo_number": "9074729",
            "flag_approval_reference": "FLAG/ERB/2025/17",
            "flag_approval_date": date(2025, 5, 1),
        },
    )


@pytest.mark.parametrize(
    "page",
    [
        lambda: reverse("dashboard"),
        lambda: reverse("orb_book"),
        lambda: reverse("admin:index"),
        lambda: reverse("admin:soundings_orbentry_changelist"),
        lambda: reverse("admin:orb_vesselparticulars_changelist"),
    ],
    ids=["dashboard", "book", "admin-index", "admin-changelist", "admin-vessel"],
)
def test_every_page_says_working_copy_until_the_flag_approves(client, make_user, tanks, active_pair, page):
    client.force_login(make_user("root", superuser=True))
    response = client.get(page())
    assert response.status_code == 200
    assert WORKING_COPY_NOTICE in response.content.decode()
    approve()
    response = client.get(page())
    assert response.status_code == 200
    assert WORKING_COPY_NOTICE not in response.content.decode()


def test_the_admin_login_page_says_working_copy(client, db):
    assert WORKING_COPY_NOTICE in client.get(reverse("admin:login")).content.decode()


def test_admin_adds_one_row_and_deletes_none(client, make_user):
    client.force_login(make_user("root", superuser=True))
    add = reverse("admin:orb_vesselparticulars_add")
    alerts = {"slop_alert_percent": 85, "days_left_alert": 10}
    response = client.post(add, {"name": "MV Example", "imo_number": "9074728", "lines_per_page": 25, **alerts})
    assert response.status_code == 200 and "fails its check digit" in response.content.decode()
    response = client.post(add, {"name": "MV Example", "imo_number": "9074729", "lines_per_page": 25, **alerts})
    assert response.status_code == 302
    vessel = VesselParticulars.objects.get()
    assert client.get(add).status_code == 403
    assert client.get(reverse("admin:orb_vesselparticulars_delete", args=[vessel.pk])).status_code == 403
    assert client.get(reverse("admin:orb_vesselparticulars_change", args=[vessel.pk])).status_code == 200


def test_alert_settings_default_and_limits(db):
    vessel = VesselParticulars.current()
    assert vessel.slop_alert_percent == 85 and vessel.days_left_alert == 10
    vessel = VesselParticulars(name="MV Example", imo_number="9074729", slop_alert_percent=101, days_left_alert=0)
    with pytest.raises(ValidationError) as error:
        vessel.full_clean()
    assert set(error.value.message_dict) == {"slop_alert_percent", "days_left_alert"}


def test_the_chief_sets_the_alert_thresholds_in_the_admin(client, make_user):
    client.force_login(make_user("root", superuser=True))
    response = client.post(
        reverse("admin:orb_vesselparticulars_add"),
        {
            "name": "MV Example",
            "imo_number": "9074729",
            "call_sign": "",
            "flag": "",
            "lines_per_page": "25",
            "slop_alert_percent": "80",
            "days_left_alert": "5",
            "flag_approval_reference": "",
            "flag_approval_date": "",
        },
    )
    assert response.status_code == 302
    vessel = VesselParticulars.current()
    assert (vessel.slop_alert_percent, vessel.days_left_alert) == (80, 5)
