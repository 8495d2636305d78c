"""Tanks, their calibration tables, weekly soundings and the Oil Record Book entries.

ORB entries are append-only: they are written when a sounding is recorded and are
never changed or deleted (MARPOL Annex I reg. 17; MEPC.312(74) for electronic books).
"""
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from orb.models import CreatedByModel
from soundings.calibration import depth_in_inches, interpolate
from soundings.entries import entry_lines
from soundings.units import FOUR_PLACES, gallons_to_m3, round_m3

INCHES_VALIDATORS = [
    MinValueValidator(0, message="Inches must be 0–11; a negative depth is not a sounding."),
    MaxValueValidator(11, message="Inches must be 0–11; write 12 inches as one more foot."),
]
FEET_VALIDATORS = [MinValueValidator(0, message="Feet cannot be negative.")]


class Tank(models.Model):
    class IoppSection(models.TextChoices):
        SLUDGE = "3.1", "3.1 sludge tank"
        BILGE_HOLDING = "3.3", "3.3 bilge holding tank"

    ORB_CODES = {IoppSection.SLUDGE: "C", IoppSection.BILGE_HOLDING: "I"}

    designation = models.CharField(
        max_length=16, unique=True, help_text='As painted on the tank, e.g. "17P".'
    )
    name = models.CharField(max_length=100, help_text='e.g. "Oily Water Tank".')
    iopp_section = models.CharField(
        "IOPP section",
        max_length=3,
        choices=IoppSection.choices,
        help_text="Section of the IOPP Supplement listing this tank; it sets the ORB code "
        "(3.1 → Code C, 3.3 → Code I).",
    )
    capacity_gallons = models.DecimalField(
        "capacity (US gal)",
        max_digits=10,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"), message="Capacity must be positive.")],
    )

    class Meta:
        ordering = ["designation"]
        constraints = [
            models.CheckConstraint(
                condition=Q(iopp_section__in=["3.1", "3.3"]), name="tank_iopp_section_known"
            ),
            models.CheckConstraint(condition=Q(capacity_gallons__gt=0), name="tank_capacity_positive"),
        ]

    def __str__(self):
        return f"{self.designation} {self.name}"

    @property
    def orb_code(self):
        return self.ORB_CODES.get(self.iopp_section, "")

    @property
    def capacity_m3(self):
        if self.capacity_gallons is None:
            return None
        return round_m3(gallons_to_m3(self.capacity_gallons))

    def is_in_use(self):
        return self.pk is not None and self.soundings.exists()

    def gallons_at(self, *, feet, inches):
        """Volume in US gallons (Decimal, unrounded) at a sounding depth."""
        table = self.calibration_rows.values_list("feet", "inches", "gallons")
        return interpolate(
            table=[(depth_in_inches(feet=f, inches=i), g) for f, i, g in table],
            depth=depth_in_inches(feet=feet, inches=inches),
            tank_label=self.designation,
        )


class CalibrationRow(models.Model):
    tank = models.ForeignKey(Tank, on_delete=models.PROTECT, related_name="calibration_rows")
    feet = models.PositiveSmallIntegerField(validators=FEET_VALIDATORS)
    inches = models.PositiveSmallIntegerField(validators=INCHES_VALIDATORS)
    gallons = models.DecimalField(
        "volume (US gal)",
        max_digits=10,
        decimal_places=1,
        validators=[MinValueValidator(0, message="Gallons cannot be negative.")],
    )

    class Meta:
        ordering = ["tank", "feet", "inches"]
        constraints = [
            models.UniqueConstraint(
                fields=["tank", "feet", "inches"],
                name="calibration_row_one_per_depth",
                violation_error_message="This tank already has a row for that depth; "
                "change that row instead of adding another.",
            ),
            models.CheckConstraint(
                condition=Q(inches__gte=0, inches__lte=11), name="calibration_row_inches_0_11"
            ),
            models.CheckConstraint(condition=Q(gallons__gte=0), name="calibration_row_gallons_not_negative"),
        ]

    def __str__(self):
        return f"{self.tank.designation} {self.feet} ft {self.inches} in = {self.gallons} gal"

    @property
    def depth_inches(self):
        return depth_in_inches(feet=self.feet, inches=self.inches)


class ProtectedQuerySet(models.QuerySet):
    """A queryset whose rows are a compliance record: bulk delete and update refuse."""

    def delete(self):
        raise ValidationError(
            f"{self.model._meta.verbose_name_plural.capitalize()} are never deleted; "
            "record a correcting entry instead."
        )

    def update(self, **kwargs):
        raise ValidationError(
            f"{self.model._meta.verbose_name_plural.capitalize()} are never altered in place; "
            "record a correcting entry instead."
        )


class WeeklySounding(CreatedByModel):
    tank = models.ForeignKey(Tank, on_delete=models.PROTECT, related_name="soundings")
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    feet = models.PositiveSmallIntegerField(validators=FEET_VALIDATORS)
    inches = models.PositiveSmallIntegerField(validators=INCHES_VALIDATORS)
    engineer_name = models.CharField(max_length=100)
    engineer_title = models.CharField(
        "engineer rank/title", max_length=60, help_text='e.g. "2nd Engineer".'
    )
    manual_collection_m3 = models.DecimalField(
        "collected by manual operation (m³)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message="A manual collection cannot be negative.")],
        help_text="Item 11.4, sludge tanks only; leave empty when nothing was collected by hand.",
    )
    gallons = models.DecimalField(
        "volume (US gal)", max_digits=12, decimal_places=2, editable=False
    )
    m3 = models.DecimalField("volume (m³)", max_digits=12, decimal_places=4, editable=False)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["tank", "-recorded_at"], name="sounding_tank_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(inches__gte=0, inches__lte=11), name="sounding_inches_0_11"
            ),
        ]

    def __str__(self):
        when = timezone.localtime(self.recorded_at).strftime("%Y-%m-%d %H:%M") if self.recorded_at else "?"
        designation = self.tank.designation if self.tank_id else "?"
        return f"{designation} {self.feet} ft {self.inches} in at {when}"

    @property
    def m3_rounded(self):
        return round_m3(gallons_to_m3(self.gallons)) if self.gallons is not None else None

    def clean(self):
        if self.tank_id is None or self.feet is None or self.inches is None:
            return
        if not (0 <= self.inches <= 11) or self.feet < 0:
            return  # the field validators already said so
        if self.manual_collection_m3 is not None and self.tank.orb_code != "C":
            raise ValidationError(
                {
                    "manual_collection_m3": f"A manual collection (item 11.4) applies to sludge "
                    f"tanks only; leave it empty for {self.tank.designation}."
                }
            )
        gallons = self.tank.gallons_at(feet=self.feet, inches=self.inches)
        self.gallons = gallons.quantize(Decimal("0.01"))
        self.m3 = gallons_to_m3(gallons).quantize(FOUR_PLACES)

    def save(self, *args, **kwargs):
        """Record the sounding and write its ORB entries, all or nothing."""
        if not self._state.adding:
            raise ValidationError(
                "A recorded sounding cannot be changed; record a new sounding "
                "(its ORB entries stay as the record of the old one)."
            )
        with transaction.atomic():
            self.full_clean()
            super().save(*args, **kwargs)
            OrbEntry.record_for_sounding(self)

    def delete(self, *args, **kwargs):
        raise ValidationError(
            "Weekly soundings are never deleted; record a new sounding to correct one."
        )


class OrbEntry(CreatedByModel):
    """One line of the Oil Record Book, Part I: Date | Code | Item No. | Record of operations."""

    class Code(models.TextChoices):
        C = "C", "C — collection, transfer and disposal of oil residues (sludge)"
        I = "I", "I — additional operational procedures and general remarks"  # noqa: E741

    entry_date = models.DateField(db_index=True)
    code = models.CharField(max_length=1, choices=Code.choices)
    item = models.CharField("item no.", max_length=8, blank=True)
    text = models.TextField("record of operations")
    sounding = models.ForeignKey(
        WeeklySounding,
        on_delete=models.PROTECT,
        related_name="entries",
        null=True,
        blank=True,
    )
    officer_name = models.CharField("officer in charge", max_length=100)
    officer_rank = models.CharField(max_length=60)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["entry_date", "id"]
        verbose_name = "ORB entry"
        verbose_name_plural = "ORB entries"
        indexes = [models.Index(fields=["entry_date", "id"], name="orbentry_book_order")]

    def __str__(self):
        item = f" {self.item}" if self.item else ""
        return f"{self.entry_date} {self.code}{item}: {self.text}"

    @classmethod
    def record_for_sounding(cls, sounding):
        """Write the ORB entries of a just-saved sounding (texts from soundings.entries)."""
        entries = [
            cls(
                entry_date=timezone.localdate(sounding.recorded_at),
                code=code,
                item=item,
                text=text,
                sounding=sounding,
                officer_name=sounding.engineer_name,
                officer_rank=sounding.engineer_title,
                created_by=sounding.created_by,
            )
            for code, item, text in entry_lines(sounding)
        ]
        for entry in entries:
            entry.save()
        return entries

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(
                "ORB entries are never altered; record a correcting entry instead."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("ORB entries are never deleted; record a correcting entry instead.")
