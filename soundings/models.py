"""Tanks, their calibration tables, weekly soundings and the Oil Record Book entries.

ORB entries are drafts until signed; a signed entry is append-only: never changed or deleted,
corrected by a new entry (MARPOL Annex I reg. 17; MEPC.312(74) for electronic books).
Signatures, reviews and the audit trail are append-only too; the database refuses the same
(soundings.guards). docs/RECORD.md describes the record.
"""

import json
from datetime import UTC, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from orb.models import CreatedByModel
from soundings.calibration import depth_in_inches, interpolate
from soundings.entries import disposal_lines, entry_lines
from soundings.units import FOUR_PLACES, format_depth, gallons_to_m3, round_m3

INCHES_VALIDATORS = [
    MinValueValidator(0, message="Inches must be 0–11; a negative depth is not a sounding."),
    MaxValueValidator(11, message="Inches must be 0–11; write 12 inches as one more foot."),
]
FEET_VALIDATORS = [MinValueValidator(0, message="Feet cannot be negative.")]
QUARTER_CHOICES = [(0, "—"), (1, "¼"), (2, "½"), (3, "¾")]


class Tank(models.Model):
    class IoppSection(models.TextChoices):
        SLUDGE = "3.1", "3.1 sludge tank"
        BILGE_HOLDING = "3.3", "3.3 bilge holding tank"

    ORB_CODES = {IoppSection.SLUDGE: "C", IoppSection.BILGE_HOLDING: "I"}

    designation = models.CharField(max_length=16, unique=True, help_text='As painted on the tank, e.g. "17P".')
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
    iopp_wording = models.CharField(
        "IOPP wording",
        max_length=200,
        blank=True,
        help_text="The tank's identity as the IOPP Supplement lists it (section 3.1 or 3.3); item 11.1 "
        "writes it. Empty: the designation and the name.",
    )
    iopp_capacity_m3 = models.DecimalField(
        "IOPP capacity (m³)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"), message="The IOPP capacity must be positive.")],
        help_text="The capacity the IOPP Supplement states; item 11.2 writes it. Empty: the gallons converted to m³.",
    )

    class Meta:
        ordering = ["designation"]
        constraints = [
            models.CheckConstraint(condition=Q(iopp_section__in=["3.1", "3.3"]), name="tank_iopp_section_known"),
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

    @property
    def identity(self):
        """The tank as item 11.1 names it: the IOPP wording, else designation and name."""
        return self.iopp_wording.strip() or f"{self.designation} {self.name}"

    @property
    def stated_capacity_m3(self):
        """The capacity item 11.2 writes: the IOPP's, else the gallons converted (two decimals)."""
        if self.iopp_capacity_m3 is not None:
            return round_m3(self.iopp_capacity_m3)
        return self.capacity_m3

    def is_in_use(self):
        return self.pk is not None and self.soundings.exists()

    @property
    def current_version(self):
        """The newest calibration table version (None before any table was loaded)."""
        if self.pk is None:
            return None
        return self.calibration_versions.order_by("-number").first()

    def gallons_at(self, *, feet, inches, quarters=0, version=None):
        """Volume in US gallons (Decimal, unrounded) at a sounding depth, from ``version``'s
        table (default: the current version)."""
        version = version or self.current_version
        rows = version.rows.values_list("feet", "inches", "gallons") if version is not None else []
        return interpolate(
            table=[(depth_in_inches(feet=f, inches=i), g) for f, i, g in rows],
            depth=depth_in_inches(feet=feet, inches=inches, quarters=quarters),
            tank_label=self.designation,
        )


class CalibrationVersion(models.Model):
    """One version of a tank's calibration table. A loaded table that differs from the newest
    version becomes a new version; a version a sounding used is never edited or deleted, so an
    old sounding keeps the volume it was recorded with (and says which table gave it)."""

    tank = models.ForeignKey(Tank, on_delete=models.PROTECT, related_name="calibration_versions")
    number = models.PositiveIntegerField()
    loaded_at = models.DateTimeField(default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    loaded_by_name = models.CharField(
        "loaded by", max_length=150, blank=True, help_text="The login, or the computer account that ran the command."
    )
    source = models.CharField(max_length=500, blank=True, help_text="The file it was loaded from.")
    sha256 = models.CharField("file sha256", max_length=64, blank=True)

    class Meta:
        ordering = ["tank", "-number"]
        verbose_name = "calibration table version"
        constraints = [
            models.UniqueConstraint(
                fields=["tank", "number"],
                name="calibration_version_number_once",
                violation_error_message="This tank already has a table version with that number.",
            )
        ]

    def __str__(self):
        return f"{self.tank.designation} table version {self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self._refuse_in_use("changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_in_use("deleted")
        return super().delete(*args, **kwargs)

    def is_in_use(self):
        return self.pk is not None and self.soundings.exists()

    def _refuse_in_use(self, what):
        if self.is_in_use():
            raise ValidationError(
                f"{self} was used by soundings and is never {what}; load a changed table "
                "(manage.py load_sounding_tables) to make a new version."
            )

    @classmethod
    def first_for(cls, tank):
        """The tank's current version, made as version 1 when it has none (rows added by hand)."""
        return tank.current_version or cls.objects.create(tank=tank, number=1, source="added by hand")


class CalibrationRow(models.Model):
    tank = models.ForeignKey(Tank, on_delete=models.PROTECT, related_name="calibration_rows")
    version = models.ForeignKey(
        CalibrationVersion,
        on_delete=models.PROTECT,
        related_name="rows",
        blank=True,
        help_text="Empty: the tank's current version (version 1 when it has none).",
    )
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
                fields=["version", "feet", "inches"],
                name="calibration_row_one_per_depth_in_version",
                violation_error_message="This table version already has a row for that depth; "
                "change that row instead of adding another.",
            ),
            models.CheckConstraint(condition=Q(inches__gte=0, inches__lte=11), name="calibration_row_inches_0_11"),
            models.CheckConstraint(condition=Q(gallons__gte=0), name="calibration_row_gallons_not_negative"),
        ]

    def __str__(self):
        return f"{self.tank.designation} {self.feet} ft {self.inches} in = {self.gallons} gal"

    def save(self, *args, **kwargs):
        """A row of a version in use is never changed; nor is a row added to such a version."""
        if self.version_id is None:
            self.version = CalibrationVersion.first_for(self.tank)
        for version in {self.version, self._stored_version()} - {None}:
            version._refuse_in_use("changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.version_id is not None:
            self.version._refuse_in_use("changed")
        return super().delete(*args, **kwargs)

    @property
    def depth_inches(self):
        return depth_in_inches(feet=self.feet, inches=self.inches)

    def _stored_version(self):
        if self.pk is None:
            return None
        return CalibrationVersion.objects.filter(rows__pk=self.pk).first()

    def clean_fields(self, exclude=None):
        if self.version_id is None and self.tank_id is not None:
            self.version = self.tank.current_version  # None: save() makes version 1
        super().clean_fields(exclude=exclude)

    def validate_constraints(self, exclude=None):
        # The version is filled in (clean_fields) when a form leaves it out: check its depths too.
        if exclude and self.version_id is not None:
            exclude = set(exclude) - {"version"}
        super().validate_constraints(exclude=exclude)

    def clean(self):
        if self.version_id is not None and self.tank_id is not None and self.version.tank_id != self.tank_id:
            raise ValidationError({"version": f"{self.version} belongs to another tank."})
        for version in {self.version if self.version_id else None, self._stored_version()} - {None}:
            version._refuse_in_use("changed")


class ProtectedQuerySet(models.QuerySet):
    """A queryset whose protected rows are a compliance record: bulk delete and update refuse
    them (and say so in the audit trail); the append-only triggers (soundings.guards) refuse
    the same at the database whatever the path.

    ``protected_q`` on the model says which rows are protected (None: every row).
    """

    def _protected(self):
        q = getattr(self.model, "protected_q", None)
        return self if q is None else self.filter(q())

    def _refuse(self, what):
        from soundings import audit

        protected = list(self._protected().values_list("pk", flat=True)[:100])
        if not protected:
            return
        for pk in protected:
            audit.refused(self.model, pk, f"bulk {what}")
        raise ValidationError(self.model.refusal(what))

    def delete(self):
        self._refuse("delete")
        deleted = 0
        for obj in self:
            obj.delete()
            deleted += 1
        return deleted, {self.model._meta.label: deleted}

    delete.alters_data = True
    delete.queryset_only = True

    def update(self, **kwargs):
        self._refuse("update")
        return super().update(**kwargs)

    update.alters_data = True
    update.queryset_only = False

    def _raw_delete(self, using):
        self._refuse("delete")
        return super()._raw_delete(using)

    _raw_delete.alters_data = True


class ProtectedManager(models.Manager.from_queryset(ProtectedQuerySet)):
    pass


class RecordModel(models.Model):
    """Rows of the record: the protected manager is also the base manager, so related-object
    access and deletion go through it too."""

    objects = ProtectedManager()

    class Meta:
        abstract = True
        base_manager_name = "objects"

    @classmethod
    def refusal(cls, what):
        plural = cls._meta.verbose_name_plural
        if what == "delete":
            return f"{plural.capitalize()} are never deleted; record a correcting entry instead."
        return f"{plural.capitalize()} are never altered in place; record a correcting entry instead."

    def _stored_protected(self):
        """Whether the row stored under this pk is protected (False when there is none)."""
        if self.pk is None:
            return False
        q = getattr(type(self), "protected_q", None)
        rows = type(self)._base_manager.filter(pk=self.pk)
        if q is not None:
            rows = rows.filter(q())
        return rows.exists()

    def _refuse_if_protected(self, what):
        from soundings import audit

        if self._stored_protected():
            audit.refused(type(self), self.pk, what)
            raise ValidationError(type(self).refusal(what))


class AppendOnlyModel(RecordModel):
    """Every row is protected: written once, never updated or deleted (signatures, reviews, audit)."""

    class Meta(RecordModel.Meta):
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and (not self._state.adding or self._stored_protected()):
            self._refuse_if_protected("update")
            raise ValidationError(type(self).refusal("update"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_protected("delete")
        raise ValidationError(type(self).refusal("delete"))


class WritesEntries(RecordModel):
    """A record that writes its ORB entries (drafts) when it is saved, all or nothing, and is
    never changed or deleted afterwards: the refusal is audited and said in one sentence."""

    update_refused = ""  # the sentences a refused change or deletion says
    delete_refused = ""

    class Meta(RecordModel.Meta):
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding or self.pk is not None:
            self._refuse("update", self.update_refused)
        with transaction.atomic():
            self.full_clean()
            super().save(*args, **kwargs)
            self.write_entries()

    def delete(self, *args, **kwargs):
        self._refuse("delete", self.delete_refused)

    def write_entries(self):
        raise NotImplementedError

    def _refuse(self, what, sentence):
        from soundings import audit

        audit.refused(type(self), self.pk, what)
        raise ValidationError(sentence)


class WeeklySounding(CreatedByModel, WritesEntries):
    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", "scheduled (weekly)"
        AD_HOC = "ad-hoc", "ad-hoc"
        RESOUNDING = "re-sounding", "re-sounding"

    tank = models.ForeignKey(Tank, on_delete=models.PROTECT, related_name="soundings")
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    feet = models.PositiveSmallIntegerField(validators=FEET_VALIDATORS)
    inches = models.PositiveSmallIntegerField(validators=INCHES_VALIDATORS)
    engineer_name = models.CharField(max_length=100)
    engineer_title = models.CharField("engineer rank/title", max_length=60, help_text='e.g. "2nd Engineer".')
    manual_collection_m3 = models.DecimalField(
        "collected by manual operation (m³)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message="A manual collection cannot be negative.")],
        help_text="Item 11.4, sludge tanks only; leave empty when nothing was collected by hand.",
    )
    gallons = models.DecimalField("volume (US gal)", max_digits=12, decimal_places=2, editable=False)
    m3 = models.DecimalField("volume (m³)", max_digits=12, decimal_places=4, editable=False)
    # Added by issue 14/15 (columns added after the guard was made: see soundings.guards).
    quarters = models.PositiveSmallIntegerField(
        "quarter inches",
        choices=QUARTER_CHOICES,
        default=0,
        help_text="A reading between whole inches: ¼, ½ or ¾ inch more.",
    )
    kind = models.CharField(
        max_length=12,
        choices=Kind.choices,
        default=Kind.SCHEDULED,
        help_text="One scheduled sounding per tank per ship's day; a second one that day is a re-sounding.",
    )
    manual_collection_source = models.CharField(
        "collected from",
        max_length=100,
        blank=True,
        help_text='Item 11.4: where the manual collection came from, e.g. "purifier room drip trays".',
    )
    calibration_version = models.ForeignKey(
        CalibrationVersion,
        on_delete=models.PROTECT,
        related_name="soundings",
        null=True,
        blank=True,
        editable=False,
        help_text="The calibration table version that gave the volume.",
    )

    class Meta(RecordModel.Meta):
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["tank", "-recorded_at"], name="sounding_tank_latest")]
        constraints = [
            models.CheckConstraint(condition=Q(inches__gte=0, inches__lte=11), name="sounding_inches_0_11"),
            models.CheckConstraint(condition=Q(quarters__gte=0, quarters__lte=3), name="sounding_quarters_0_3"),
        ]

    def __str__(self):
        when = timezone.localtime(self.recorded_at).strftime("%Y-%m-%d %H:%M") if self.recorded_at else "?"
        designation = self.tank.designation if self.tank_id else "?"
        return f"{designation} {self.depth_text} at {when}"

    update_refused = (
        "A recorded sounding cannot be changed; record a new sounding "
        "(its ORB entries stay as the record of the old one)."
    )
    delete_refused = "Weekly soundings are never deleted; record a new sounding to correct one."

    def write_entries(self):
        OrbEntry.record_for_sounding(self)

    @property
    def depth_text(self):
        return format_depth(feet=self.feet, inches=self.inches, quarters=self.quarters or 0)

    @property
    def is_resounding(self):
        return self.kind == self.Kind.RESOUNDING

    @property
    def m3_rounded(self):
        return round_m3(gallons_to_m3(self.gallons)) if self.gallons is not None else None

    def clean(self):
        if self.tank_id is None or self.feet is None or self.inches is None:
            return
        if not (0 <= self.inches <= 11) or self.feet < 0 or not (0 <= (self.quarters or 0) <= 3):
            return  # the field validators already said so
        self._check_rules()
        version = self.tank.current_version
        gallons = self.tank.gallons_at(feet=self.feet, inches=self.inches, quarters=self.quarters, version=version)
        self.calibration_version = version
        self.gallons = gallons.quantize(Decimal("0.01"))
        self.m3 = gallons_to_m3(gallons).quantize(FOUR_PLACES)

    def _check_rules(self):
        """The rules a new sounding meets (issue 15), each refused next to its field."""
        from orb.shiptime import check_not_in_future

        errors = {}
        if self.recorded_at is not None:
            try:
                check_not_in_future(self.recorded_at)
            except ValidationError as exc:
                errors["recorded_at"] = exc.messages
            else:
                self._check_one_scheduled_per_day(errors)
        if self.manual_collection_m3 is not None and self.tank.orb_code != "C":
            errors["manual_collection_m3"] = (
                f"A manual collection (item 11.4) applies to sludge tanks only; leave it empty for "
                f"{self.tank.designation}."
            )
        elif self.manual_collection_m3 is not None and not self.manual_collection_source.strip():
            errors["manual_collection_source"] = "Say where the sludge was collected from by hand; item 11.4 writes it."
        elif self.manual_collection_m3 is None and self.manual_collection_source.strip():
            errors["manual_collection_source"] = "Give the quantity collected by hand too, or leave this empty."
        if errors:
            raise ValidationError(errors)

    def _scheduled_same_day(self):
        """The tank's scheduled sounding on this sounding's ship-local date, if any."""
        from orb.shiptime import ship_date

        day = ship_date(self.recorded_at)
        near = (
            WeeklySounding._base_manager.filter(
                tank_id=self.tank_id,
                kind=self.Kind.SCHEDULED,
                recorded_at__gte=self.recorded_at - timedelta(days=2),
                recorded_at__lte=self.recorded_at + timedelta(days=2),
            )
            .exclude(pk=self.pk)
            .order_by("recorded_at")
        )
        return next((other for other in near if ship_date(other.recorded_at) == day), None)

    def _check_one_scheduled_per_day(self, errors):
        from orb.shiptime import format_ship_date, ship_date, ship_local

        if self.kind not in (self.Kind.SCHEDULED, self.Kind.RESOUNDING):
            return
        other = self._scheduled_same_day()
        day = format_ship_date(ship_date(self.recorded_at))
        if self.kind == self.Kind.SCHEDULED and other is not None:
            errors["kind"] = (
                f"{self.tank.designation} already has its scheduled sounding on {day} "
                f"(taken at {ship_local(other.recorded_at):%H:%M} ship time); record this one as a re-sounding."
            )
        elif self.kind == self.Kind.RESOUNDING and other is None:
            errors["kind"] = (
                f"{self.tank.designation} has no scheduled sounding on {day} to repeat; "
                "record this one as scheduled or ad-hoc."
            )

    @staticmethod
    def protected_q():
        """A sounding is part of the record once it has entries."""
        return models.Exists(OrbEntry._base_manager.filter(sounding=models.OuterRef("pk")))


class SludgeDisposal(CreatedByModel, WritesEntries):
    """Code C item 12: sludge disposed of from a sludge tank (IOPP 3.1). Recording one writes
    its ORB entry as a draft (signed like any other); once it has entries it is part of the
    record, never changed or deleted (soundings.guards)."""

    class Method(models.TextChoices):
        RECEPTION = "12.1", "12.1 to a reception facility"
        TRANSFER = "12.2", "12.2 to another tank"
        INCINERATION = "12.3", "12.3 incinerated"
        OTHER = "12.4", "12.4 other method"

    method = models.CharField(max_length=4, choices=Method.choices)
    tank = models.ForeignKey(
        Tank,
        on_delete=models.PROTECT,
        related_name="disposals",
        help_text="The sludge tank (IOPP 3.1) the sludge came from.",
    )
    instant = models.DateTimeField(
        "time of the operation", default=timezone.now, help_text="When the disposal was completed."
    )
    quantity_m3 = models.DecimalField(
        "quantity (m³)",
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"), message="The quantity must be at least 0.01 m³.")],
    )
    facility = models.CharField(
        "reception facility", max_length=150, blank=True, help_text="12.1: the facility and port."
    )
    receipt_reference = models.CharField(
        max_length=100, blank=True, help_text="12.1: the number of the facility's receipt."
    )
    to_tank = models.ForeignKey(
        Tank,
        on_delete=models.PROTECT,
        related_name="disposals_received",
        null=True,
        blank=True,
        verbose_name="to tank",
        help_text="12.2: the tank the sludge went to.",
    )
    hours = models.DecimalField(
        "incinerator hours",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"), message="Give the hours of operation (at least 0.1).")],
        help_text="12.3: the incinerator's hours of operation.",
    )
    other_method = models.CharField(
        "method", max_length=200, blank=True, help_text="12.4: how the sludge was disposed of."
    )
    engineer_name = models.CharField("officer in charge", max_length=100)
    engineer_title = models.CharField("rank", max_length=60, help_text='e.g. "2nd Engineer".')

    class Meta(RecordModel.Meta):
        ordering = ["-instant", "-id"]
        verbose_name = "sludge disposal"
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=["12.1", "12.2", "12.3", "12.4"]), name="disposal_method_known"
            ),
            models.CheckConstraint(condition=Q(quantity_m3__gt=0), name="disposal_quantity_positive"),
        ]

    def __str__(self):
        designation = self.tank.designation if self.tank_id else "?"
        return f"{self.method} {self.quantity_m3} m³ from {designation}"

    update_refused = "A recorded disposal cannot be changed; correct its signed entry instead."
    delete_refused = "Sludge disposals are never deleted; correct the signed entry instead."

    def write_entries(self):
        OrbEntry.record_for_disposal(self)

    # What each method needs, and the fields that belong to other methods only.
    METHOD_FIELDS = {
        Method.RECEPTION: ("facility", "receipt_reference"),
        Method.TRANSFER: ("to_tank",),
        Method.INCINERATION: ("hours",),
        Method.OTHER: ("other_method",),
    }

    def clean(self):
        from orb.shiptime import check_not_in_future

        errors = {}
        if self.instant is not None:
            try:
                check_not_in_future(self.instant)
            except ValidationError as exc:
                errors["instant"] = exc.messages
        if self.tank_id is not None and self.tank.orb_code != "C":
            errors["tank"] = f"{self.tank.designation} is not a sludge tank (IOPP 3.1); Code C 12 disposes of sludge."
        if self.method in self.METHOD_FIELDS:
            errors.update(self._method_errors())
        if errors:
            raise ValidationError(errors)

    def _method_errors(self):
        errors = {}
        label = self.Method(self.method).label
        for method, names in self.METHOD_FIELDS.items():
            for name in names:
                given = getattr(self, name if name != "to_tank" else "to_tank_id") not in (None, "")
                if method == self.method and not given:
                    errors[name] = f"{label} needs the {self._meta.get_field(name).verbose_name}."
                elif method != self.method and given:
                    errors[name] = f"Leave this empty for {label}; it belongs to {method.label}."
        if self.method == self.Method.TRANSFER and self.to_tank_id is not None and self.to_tank_id == self.tank_id:
            errors["to_tank"] = "A transfer goes to another tank; choose a tank other than the one it came from."
        return errors

    @staticmethod
    def protected_q():
        """A disposal is part of the record once it has entries."""
        return models.Exists(OrbEntry._base_manager.filter(disposal=models.OuterRef("pk")))


class OrbEntry(CreatedByModel, RecordModel):
    """One line of the Oil Record Book, Part I: Date | Code | Item No. | Record of operations.

    A draft is not part of the book: it may be changed or discarded. Signing (``sign``) makes
    it a line of the book for good: it gets the next ``sequence`` (book order), the signer's
    frozen name and rank, and its place in the hash chain (soundings.chain). A wrong signed
    entry is corrected by a new entry that ``corrects`` it (``correct``), never edited.
    See docs/RECORD.md.
    """

    class Code(models.TextChoices):
        A = "A", "A — ballasting or cleaning of oil fuel tanks"
        B = "B", "B — discharge of dirty ballast or cleaning water"
        C = "C", "C — collection, transfer and disposal of oil residues (sludge)"
        D = "D", "D — non-automatic discharge or disposal of bilge water"
        E = "E", "E — automatic discharge of bilge water"
        F = "F", "F — condition of the oil filtering equipment"
        G = "G", "G — accidental or other exceptional discharges of oil"
        H = "H", "H — bunkering of fuel or bulk lubricating oil"
        I = "I", "I — additional operational procedures and general remarks"  # noqa: E741

    class State(models.TextChoices):
        DRAFT = "draft", "draft"
        SIGNED = "signed", "signed"

    entry_date = models.DateField(db_index=True, editable=False, help_text="The ship's local date of the instant.")
    instant = models.DateTimeField(
        "time of the operation (UTC)",
        default=timezone.now,
        help_text="When the operation happened; the book shows the ship's local date.",
    )
    ship_offset_minutes = models.SmallIntegerField(
        default=0, editable=False, help_text="The ship's offset from UTC at the instant, in minutes."
    )
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
    disposal = models.ForeignKey(
        SludgeDisposal,
        on_delete=models.PROTECT,
        related_name="entries",
        null=True,
        blank=True,
        editable=False,
    )
    officer_name = models.CharField(
        "officer in charge",
        max_length=100,
        blank=True,
        help_text="As typed on the sounding; the signature is the signer's own name and rank.",
    )
    officer_rank = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=6, choices=State.choices, default=State.DRAFT, editable=False)
    # The signature, frozen when signed.
    sequence = models.PositiveIntegerField(
        null=True, blank=True, unique=True, editable=False, help_text="Place in the book (signing order)."
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    signer_name = models.CharField(max_length=150, blank=True, editable=False)
    signer_rank = models.CharField(max_length=60, blank=True, editable=False)
    signed_at = models.DateTimeField(null=True, blank=True, editable=False)
    signed_offset_minutes = models.SmallIntegerField(null=True, blank=True, editable=False)
    is_late = models.BooleanField("late entry", default=False, editable=False)
    legacy = models.BooleanField(
        default=False,
        editable=False,
        help_text="Written before entries were signed by a logged-in user; signed with the officer typed then.",
    )
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="corrections"
    )
    correction_reason = models.TextField(blank=True, editable=False)
    signed_content = models.TextField(blank=True, editable=False, help_text="soundings.chain.canonical when signed.")
    entry_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta(RecordModel.Meta):
        ordering = [models.F("sequence").asc(nulls_last=True), "entry_date", "id"]
        verbose_name = "ORB entry"
        verbose_name_plural = "ORB entries"
        indexes = [models.Index(fields=["entry_date", "id"], name="orbentry_book_order")]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=["draft", "signed"]), name="orbentry_state_known"),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(sequence__isnull=False, signed_at__isnull=False),
                name="orbentry_signed_has_sequence",
            ),
        ]

    def __str__(self):
        from orb.shiptime import format_ship_date

        item = f" {self.item}" if self.item else ""
        day = format_ship_date(self.entry_date) if self.entry_date else "(no date yet)"
        return f"{day} {self.code}{item}: {self.text}"

    def save(self, *args, **kwargs):
        """A draft is written and changed freely; a signed entry never again (``sign`` is the
        only way a draft becomes signed)."""
        from soundings import audit

        self._refuse_if_protected("update")
        if self.is_signed and not getattr(self, "_signing", False):
            raise ValidationError("An entry becomes signed only through OrbEntry.sign (it asks for the password).")
        creating = self.pk is None
        if self.instant is not None:
            self.set_ship_date()
        super().save(*args, **kwargs)
        if creating:
            audit.record(audit.CREATE, self, user=self.created_by, new=audit.snapshot(self))

    def delete(self, *args, **kwargs):
        """Discard a draft; a signed entry is never deleted."""
        from soundings import audit

        self._refuse_if_protected("delete")
        old = audit.snapshot(self)
        pk = self.pk
        result = super().delete(*args, **kwargs)
        audit.record(audit.DISCARD, self, object_id=pk, old=old, user=getattr(self, "_discarded_by", None))
        return result

    @staticmethod
    def protected_q():
        return Q(state="signed")

    @property
    def is_signed(self):
        return self.state == self.State.SIGNED

    @property
    def is_corrected(self):
        return self.is_signed and self.corrections.filter(state="signed").exists()

    @property
    def signature_line(self):
        """``signed: J. Smith, 2nd Engineer, 16-MAR-2025`` (the ship's date of signing)."""
        from orb.shiptime import format_ship_date

        if not self.is_signed:
            return ""
        offset = timedelta(minutes=self.signed_offset_minutes or 0)
        day = (self.signed_at.astimezone(UTC) + offset).date()
        return f"signed: {self.signer_name}, {self.signer_rank}, {format_ship_date(day)}"

    def clean(self):
        from orb.shiptime import check_not_in_future

        if self.instant is not None:
            check_not_in_future(self.instant)
        if self.code == self.Code.I and (self.item or "").strip():
            raise ValidationError({"item": "Code I entries have no item numbers; leave the item empty."})

    def set_ship_date(self):
        """entry_date and ship_offset_minutes from the instant and the ship's offset then."""
        from orb.shiptime import offset_at

        offset = offset_at(self.instant)
        self.ship_offset_minutes = int(offset.total_seconds() // 60)
        self.entry_date = (self.instant.astimezone(UTC) + offset).date()

    @classmethod
    def _record_lines(cls, lines, *, source, instant, **link):
        """Save (code, item, text) lines as drafts by the officer and user of ``source``."""
        entries = [
            cls(
                instant=instant,
                code=code,
                item=item,
                text=text,
                officer_name=source.engineer_name,
                officer_rank=source.engineer_title,
                created_by=source.created_by,
                **link,
            )
            for code, item, text in lines
        ]
        for entry in entries:
            entry.save()
        return entries

    @classmethod
    def record_for_sounding(cls, sounding):
        """Write the ORB entries of a just-saved sounding (texts from soundings.entries) as drafts."""
        return cls._record_lines(
            entry_lines(sounding), source=sounding, instant=sounding.recorded_at, sounding=sounding
        )

    @classmethod
    def record_for_disposal(cls, disposal):
        """Write the ORB entry of a just-saved sludge disposal (Code C 12.x) as a draft."""
        return cls._record_lines(disposal_lines(disposal), source=disposal, instant=disposal.instant, disposal=disposal)

    def discard(self, *, user):
        self._discarded_by = user
        return self.delete()

    # The record's workflow: soundings.record.
    def sign(self, *, user, password):
        from soundings.record import sign

        return sign(self, user=user, password=password)

    def review(self, *, user, password):
        from soundings.record import review

        return review(self, user=user, password=password)

    def correct(self, *, user, password, text, reason, code=None, item=None, instant=None):
        from soundings.record import correct

        return correct(
            self, user=user, password=password, text=text, reason=reason, code=code, item=item, instant=instant
        )


class EntryReview(CreatedByModel, AppendOnlyModel):
    """The Chief Engineer's review of a signed entry (a row of its own: the entry is never updated)."""

    entry = models.OneToOneField(OrbEntry, on_delete=models.PROTECT, related_name="review_record")
    reviewer_name = models.CharField(max_length=150)
    reviewer_rank = models.CharField(max_length=60)
    reviewed_at = models.DateTimeField()

    class Meta(AppendOnlyModel.Meta):
        ordering = ["-reviewed_at"]

    def __str__(self):
        return f"entry {self.entry.sequence} reviewed by {self.reviewer_name}, {self.reviewer_rank}"


class PageSignature(AppendOnlyModel):
    """The Master's signature of a completed page of the book, with the chain head at its last entry."""

    page_number = models.PositiveIntegerField(unique=True)
    first_sequence = models.PositiveIntegerField()
    last_sequence = models.PositiveIntegerField(unique=True)
    chain_head = models.CharField(max_length=64, help_text="entry_hash of the page's last entry.")
    master = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    master_name = models.CharField(max_length=150)
    master_rank = models.CharField(max_length=60)
    signed_at = models.DateTimeField()
    signed_offset_minutes = models.SmallIntegerField(default=0)

    class Meta(AppendOnlyModel.Meta):
        ordering = ["page_number"]

    def __str__(self):
        return f"page {self.page_number} signed by {self.master_name}, {self.master_rank}"


class AuditEvent(AppendOnlyModel):
    """One line of the audit trail: who did what to which record when (MEPC.312(74))."""

    class Action(models.TextChoices):
        CREATE = "create", "create"
        SIGN = "sign", "sign"
        REVIEW = "review", "review"
        PAGE_SIGN = "page-sign", "page signature"
        CORRECT = "correct", "correct"
        DISCARD = "discard", "discard"
        REFUSED_CHANGE = "refused-change", "refused change"
        PERMISSION_DENIED = "permission-denied", "permission denied"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    model = models.CharField(max_length=100, help_text='e.g. "soundings.orbentry".')
    object_id = models.CharField(max_length=40, blank=True)
    # JSON as text, not a JSONField: that field's system check opens the database (to ask for
    # its JSON support), and `manage.py migrate` must be refused before any database file is created.
    old = models.TextField(blank=True, help_text="The values before, as JSON (empty: none).")
    new = models.TextField(blank=True, help_text="The values after, as JSON (empty: none).")
    note = models.TextField(blank=True)

    class Meta(AppendOnlyModel.Meta):
        ordering = ["-at", "-id"]
        verbose_name = "audit event"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.model} {self.object_id}"

    @property
    def old_data(self):
        return json.loads(self.old) if self.old else None

    @property
    def new_data(self):
        return json.loads(self.new) if self.new else None
