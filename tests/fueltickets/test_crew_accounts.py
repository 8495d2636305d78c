"""The README's "Crew accounts" steps, done in the admin as written: the Chief Engineer's login
(a superuser) adds a crew member with a password, a name, the staff flag, one role (group) and
the rank on his profile; the new user then logs in and records the day's fuel ticket."""

from decimal import Decimal

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from fueltickets.models import DailyFuelTicket
from orb.shiptime import ship_date

PASSWORD = "a-long-crew-password-1"


def management(prefix, total=1, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1",
    }


def test_the_chief_creates_a_crew_user_with_a_rank_and_a_role(client, make_user, active_pair):
    client.force_login(make_user("chief", superuser=True))
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "ajones",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **management("profile", total=0),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="ajones")
    engineer_group = user.groups.model.objects.get(name="Engineer")
    response = client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {
            "username": "ajones",
            "first_name": "A.",
            "last_name": "Jones",
            "email": "",
            "is_active": "on",
            "is_staff": "on",
            "groups": [engineer_group.pk],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": timezone.now().date().isoformat(),
            "date_joined_1": "00:00:00",
            **management("profile"),
            "profile-0-rank": "3rd Engineer",
            "profile-0-account_expires_at_0": "",
            "profile-0-account_expires_at_1": "",
            "profile-0-user": str(user.pk),
        },
    )
    assert response.status_code == 302, response.context and response.context.get("errors")
    user.refresh_from_db()
    assert user.is_staff and list(user.groups.values_list("name", flat=True)) == ["Engineer"]
    assert user.profile.rank == "3rd Engineer"

    client.logout()
    login = client.post(reverse("admin:login"), {"username": "ajones", "password": PASSWORD, "next": "/admin/"})
    assert login.status_code == 302
    response = client.post(
        reverse("admin:fueltickets_dailyfuelticket_add"),
        {
            "ticket_date": ship_date(timezone.now()).isoformat(),
            "meter_start": "1000.0",
            "meter_end": "1900.0",
            "service_tank_pair": "",
            "engineer_name": "A. Jones",
            "notes": "",
            "meter_reset_reason": "",
        },
    )
    assert response.status_code == 302
    ticket = DailyFuelTicket.objects.get()
    assert ticket.created_by == user and ticket.consumption_gallons == Decimal("900.0")
