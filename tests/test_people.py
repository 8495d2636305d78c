from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
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
