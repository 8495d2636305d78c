"""The audit columns every record of the ORB apps shares: when it was written, and by whom.

The abstract models create no tables of their own: each app's migrations carry the fields of
the models that inherit them. The orb app's own tables (issue 13) follow them: user profiles
(rank), the ship's time offsets, the vessel's particulars.

MEPC.312(74) (electronic record books) asks that who made each record and when is kept:
both are set once, when the row is first saved, and never edited afterwards.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
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


# --- The orb app's own tables: people, ship time, the vessel (issue 13) ---------------------


class UserProfile(models.Model):
    """What the Oil Record Book needs to know about a login beyond Django's user: the rank an
    officer signs with, and, for an Inspector's account, when it stops working."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    rank = models.CharField(
        max_length=60,
        blank=True,
        help_text='As signed in the book, e.g. "2nd Engineer", "Chief Engineer", "Master".',
    )
    account_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="After this time the account cannot log in (e.g. a port State control officer).",
    )

    class Meta:
        ordering = ["user__username"]

    def __str__(self):
        return f"{self.user.get_username()} ({self.rank or 'no rank'})"


MIN_OFFSET_MINUTES = -12 * 60
MAX_OFFSET_MINUTES = 14 * 60


class ShipTimeOffset(CreatedAtModel):
    """The ship's clock from ``effective_from`` (a UTC instant) on: UTC plus ``offset_minutes``.

    The offset changes along a voyage; a row is never changed, a new one is added. See orb.shiptime.
    """

    effective_from = models.DateTimeField(unique=True, help_text="The instant the ship's clocks were set.")
    offset_minutes = models.IntegerField(
        validators=[MinValueValidator(MIN_OFFSET_MINUTES), MaxValueValidator(MAX_OFFSET_MINUTES)],
        help_text="Ship time minus UTC in minutes, e.g. -360 for UTC-06:00.",
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(offset_minutes__gte=MIN_OFFSET_MINUTES, offset_minutes__lte=MAX_OFFSET_MINUTES),
                name="shiptimeoffset_offset_in_range",
            ),
        ]

    def __str__(self):
        sign = "-" if self.offset_minutes < 0 else "+"
        hours, minutes = divmod(abs(self.offset_minutes), 60)
        return f"UTC{sign}{hours:02d}:{minutes:02d} from {self.effective_from:%Y-%m-%d %H:%M} UTC"


IMO_WEIGHTS = (7, 6, 5, 4, 3, 2)


def validate_imo_number(value):
    """Seven digits, the last the check digit: Σ(first six × 7..2) mod 10."""
    if not (len(value) == 7 and value.isascii() and value.isdigit()):
        raise ValidationError(f"The IMO number {value!r} is not 7 digits; enter the 7 digits without 'IMO'.")
    check = sum(int(d) * w for d, w in zip(value[:6], IMO_WEIGHTS, strict=False)) % 10
    if check != int(value[6]):
        raise ValidationError(
            f"The IMO number {value} fails its check digit (expected {check} last); "
            "check it against the ship's certificates."
        )


class VesselParticulars(models.Model):
    """The one row naming the ship the book belongs to, and whether the flag has approved this
    electronic record book. Until it has, the paper Oil Record Book is the official record."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    name = models.CharField(max_length=100)
    imo_number = models.CharField("IMO number", max_length=7, validators=[validate_imo_number])
    call_sign = models.CharField(max_length=20, blank=True)
    flag = models.CharField(max_length=60, blank=True)
    flag_approval_reference = models.CharField(
        max_length=100,
        blank=True,
        help_text="The flag Administration's approval of this electronic record book.",
    )
    flag_approval_date = models.DateField(null=True, blank=True)
    lines_per_page = models.PositiveSmallIntegerField(
        default=25,
        validators=[MinValueValidator(5), MaxValueValidator(100)],
        help_text="Lines on a printed page of the book.",
    )
    slop_alert_percent = models.PositiveSmallIntegerField(
        "slop tank alert (%)",
        default=85,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="The dashboard warns when a slop tank's latest sounding is at or above this share of its capacity.",
    )
    days_left_alert = models.PositiveSmallIntegerField(
        "days-left alert",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="The dashboard warns when the fuel left lasts fewer days than this at the recent burn.",
    )

    class Meta:
        verbose_name = "vessel particulars"
        verbose_name_plural = "vessel particulars"
        constraints = [models.CheckConstraint(condition=models.Q(singleton=True), name="vesselparticulars_one_row")]

    def __str__(self):
        return f"{self.name} (IMO {self.imo_number})" if self.name else "Vessel particulars (not set)"

    @classmethod
    def current(cls):
        """The vessel's row, or an unsaved default (nothing entered yet: not approved)."""
        return cls.objects.first() or cls()

    @property
    def approved(self):
        """The flag has approved the electronic record book (reference and date both entered)."""
        return bool(self.flag_approval_reference.strip()) and self.flag_approval_date is not None

    def clean(self):
        super().clean()
        if bool(self.flag_approval_reference.strip()) != (self.flag_approval_date is not None):
            raise ValidationError("Enter both the flag approval reference and its date, or neither.")
        if self._state.adding and type(self).objects.exists():
            raise ValidationError("The vessel particulars already exist; change that row instead of adding one.")
