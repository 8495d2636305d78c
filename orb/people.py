"""Who a user is in the book: the name and rank an officer signs with, and whether the account
may still log in (an Inspector's account expires)."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from orb.models import UserProfile


def display_name(user):
    """The user's full name, or the username when none is entered."""
    return user.get_full_name().strip() or user.get_username()


def signer_identity(user):
    """(name, rank) as an entry is signed: the full name (or username) and the profile's rank.

    Raises ValidationError when the rank is blank or there is no profile: nobody signs without one.
    """
    name = display_name(user)
    rank = UserProfile.objects.filter(user=user).values_list("rank", flat=True).first() or ""
    if not rank.strip():
        raise ValidationError(
            f"{name} has no rank on their profile; the Chief Engineer sets it in the admin (User profiles).",
            code="no_rank",
        )
    return name, rank.strip()


def account_expired(user, *, now=None):
    """True once the user's profile says the account has expired (never for a user without one)."""
    try:
        expires_at = user.profile.account_expires_at
    except UserProfile.DoesNotExist:
        return False
    return expires_at is not None and expires_at <= (now or timezone.now())
