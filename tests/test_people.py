from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from orb.models import UserProfile
from orb.people import account_expired, signer_identity


def test_signer_identity_is_full_name_and_rank(make_user):
    user = make_user("jsmith")
    user.first_name, user.last_name = "John", "Smith"
    user.save()
    UserProfile.objects.create(user=user, rank=" 2nd Engineer ")
    assert signer_identity(user) == ("John Smith", "2nd Engineer")


def test_signer_identity_falls_back_to_username(make_user):
    user = make_user("chief")
    UserProfile.objects.create(user=user, rank="Chief Engineer")
    assert signer_identity(user) == ("chief", "Chief Engineer")


@pytest.mark.parametrize("rank", [None, "", "   "])
def test_no_rank_is_refused_with_the_next_step(make_user, rank):
    user = make_user("norank")
    if rank is not None:
        UserProfile.objects.create(user=user, rank=rank)
    with pytest.raises(ValidationError) as error:
        signer_identity(user)
    message = error.value.messages[0]
    assert message.startswith("norank has no rank on their profile; the Chief Engineer sets it in the admin")


def test_account_expiry(make_user):
    user = make_user("psc")
    assert not account_expired(user)
    now = timezone.now()
    UserProfile.objects.create(user=user, account_expires_at=now + timedelta(hours=1))
    user.refresh_from_db()
    assert not account_expired(user, now=now)
    assert account_expired(user, now=now + timedelta(hours=2))


def test_an_expired_inspector_cannot_log_in(client, make_user, rf):
    from django.contrib.auth import authenticate

    request = rf.post("/admin/login/")
    user = make_user("psc")
    profile = UserProfile.objects.create(
        user=user, rank="PSC officer", account_expires_at=timezone.now() + timedelta(hours=1)
    )
    assert authenticate(request, username="psc", password="pw-psc") == user
    profile.account_expires_at = timezone.now() - timedelta(seconds=1)
    profile.save()
    assert authenticate(request, username="psc", password="pw-psc") is None
    response = client.post(reverse("admin:login"), {"username": "psc", "password": "pw-psc"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_an_open_session_ends_when_the_account_expires(client, make_user):
    user = make_user("psc")
    profile = UserProfile.objects.create(user=user, account_expires_at=timezone.now() + timedelta(hours=1))
    assert client.post(reverse("admin:login"), {"username": "psc", "password": "pw-psc"}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    profile.account_expires_at = timezone.now() - timedelta(seconds=1)
    profile.save()
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_user_admin_edits_the_rank_inline(client, make_user):
    officer = make_user("second")
    client.force_login(make_user("root", superuser=True))
    change = reverse("admin:auth_user_change", args=[officer.pk])
    page = client.get(change)
    assert page.status_code == 200 and "profile-0-rank" in page.content.decode()
    form = page.context["adminform"].form
    data = {
        k: v
        for k, v in form.initial.items()
        if v is not None and k not in ("password", "groups", "user_permissions", "last_login", "date_joined")
    }
    data.update(
        {
            "date_joined_0": "2025-01-01",
            "date_joined_1": "00:00:00",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "0",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-rank": "2nd Engineer",
            "profile-0-account_expires_at_0": "",
            "profile-0-account_expires_at_1": "",
        }
    )
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert signer_identity(officer) == ("second", "2nd Engineer")
