"""Logins end when the account does: an Inspector's account (a port State control officer's)
carries an expiry time on its profile (orb.models.UserProfile.account_expires_at).

ModelBackend asks ``user_can_authenticate`` both when a user logs in and when a request's
session is turned back into its user, so after the expiry the password no longer logs in and
an open session stops being logged in at its next request (the user sees the login page).
"""

from django.contrib.auth.backends import ModelBackend

from orb.people import account_expired


class ExpiringAccountBackend(ModelBackend):
    """Django's ModelBackend, refusing inactive and expired accounts alike."""

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not account_expired(user)
