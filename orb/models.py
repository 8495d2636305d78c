"""The audit columns every record of the ORB apps shares: when it was written, and by whom.

Abstract models only: the orb app has no tables, so these create no migrations of their own.
Each app's migrations carry the fields of the models that inherit them.

MEPC.312(74) (electronic record books) asks that who made each record and when is kept:
both are set once, when the row is first saved, and never edited afterwards.
"""
from django.conf import settings
from django.db import models


class CreatedAtModel(models.Model):
    """A record that keeps when it was written."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class CreatedByModel(CreatedAtModel):
    """A record that keeps when it was written and by which user.

    The admin sets ``created_by`` to the logged-in user when adding; it is empty for rows
    written outside the admin (the shell, the smoke checks).
    A user who wrote records cannot be deleted (PROTECT): deactivate the account instead.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        abstract = True
