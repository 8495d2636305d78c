"""Service tank pairs, daily fuel tickets and hitch baselines (End of Hitch Sounding Form)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q, Value
from django.utils import timezone

from fueltickets import ticket_rules
from fueltickets.quantities import format_gallons
from orb.models import CreatedAtModel, CreatedByModel
from orb.shiptime import format_ship_date
from soundings.models import FEET_VALIDATORS, INCHES_VALIDATORS

METER_MAX = Decimal("999999.9")
METER_VALIDATORS = [
    MinValueValidator(
        Decimal("0"), message="Meter readings are 0 to 999,999.9 gallons; a negative reading is a typing error."
    ),
    MaxValueValidator(METER_MAX, message="Meter readings are 0 to 999,999.9 gallons; check the digits."),
]
NOT_NEGATIVE = [MinValueValidator(Decimal("0"), message="This quantity cannot be negative.")]
ONE_ACTIVE_PAIR = "service_tank_pair_one_active"


class ServiceTankPairQuerySet(models.QuerySet):
    def active(self):
        return self.filter(deactivated_at__isnull=True)


class ServiceTankPair(CreatedAtModel):
    label = models.CharField("tank pair", max_length=16, help_text='The tank number, e.g. "13" for #13 P/S.')
    activated_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True, help_text="Empty while the pair is active.")
    notes = models.TextField(blank=True)

    objects = ServiceTankPairQuerySet.as_manager()

    class Meta:
        ordering = ["-activated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Value(1),
                condition=Q(deactivated_at__isnull=True),
                name=ONE_ACTIVE_PAIR,
                violation_error_message="Another service tank pair is active; add the new pair "
                "as a new record (the active one is closed automatically) instead of "
                "reopening an old one.",
            ),
            models.CheckConstraint(
                condition=Q(deactivated_at__isnull=True) | Q(deactivated_at__gte=models.F("activated_at")),
                name="service_tank_pair_closed_after_opened",
                violation_error_message="A pair cannot be deactivated before it was activated; check the two times.",
            ),
        ]

    def __str__(self):
        return f"#{self.label} P/S"

    @property
    def is_active(self):
        return self.deactivated_at is None

    @classmethod
    def active_pair(cls):
        return cls.objects.active().first()

    @classmethod
    def activate(cls, *, label, at=None, notes=""):
        """Make `label` the active pair, closing the previous one; one transaction."""
        pair = cls(label=label, activated_at=at or timezone.now(), notes=notes)
        pair.save()
        return pair

    def get_constraints(self):
        # A new active pair closes the previous one in save(), so the one-active rule
        # is checked by the database there, not against the pair about to be closed.
        constraints = super().get_constraints()
        if self._state.adding and self.deactivated_at is None:
            return [(model, [c for c in cs if c.name != ONE_ACTIVE_PAIR]) for model, cs in constraints]
        return constraints

    def save(self, *args, **kwargs):
        with transaction.atomic():
            if self._state.adding and self.deactivated_at is None:
                previous = list(ServiceTankPair.objects.active().select_for_update())
                for pair in previous:
                    if self.activated_at < pair.activated_at:
                        raise ValidationError(
                            f"The new pair's activation time is before {pair} was activated; check the time."
                        )
                    pair.deactivated_at = self.activated_at
                    pair.save(update_fields=["deactivated_at"])
            super().save(*args, **kwargs)


class DailyFuelTicketQuerySet(models.QuerySet):
    def last_ticket(self):
        return self.order_by("-ticket_date", "-id").first()

    def before(self, day):
        """The ticket dated last before ``day``: the one whose meter end this day starts from."""
        return self.filter(ticket_date__lt=day).order_by("-ticket_date", "-id").first()


class DailyFuelTicket(CreatedByModel):
    ticket_date = models.DateField("date", default=timezone.localdate)
    meter_start = models.DecimalField("start (gal)", max_digits=8, decimal_places=1, validators=METER_VALIDATORS)
    meter_end = models.DecimalField("end (gal)", max_digits=8, decimal_places=1, validators=METER_VALIDATORS)
    consumption_gallons = models.DecimalField("burned (gal)", max_digits=7, decimal_places=1, editable=False)
    meter_reset = models.BooleanField(
        "meter replaced or reset",
        default=False,
        help_text="Tick when the flow meter was replaced or reset since the previous ticket; say why below.",
    )
    meter_reset_reason = models.CharField(
        "reason", max_length=200, blank=True, help_text="Why the meter start differs from the previous ticket's end."
    )
    service_tank_pair = models.ForeignKey(
        ServiceTankPair,
        on_delete=models.PROTECT,
        related_name="tickets",
        blank=True,
        verbose_name="tank pair",
        help_text="Leave empty for the active pair.",
    )
    engineer_name = models.CharField("engineer", max_length=100)
    notes = models.TextField(blank=True)

    objects = DailyFuelTicketQuerySet.as_manager()

    class Meta:
        ordering = ["-ticket_date", "-id"]
        verbose_name = "fuel ticket"
        indexes = [
            # Covers the dashboard's SUM(consumption) over date ranges without touching rows.
            models.Index(fields=["ticket_date", "consumption_gallons"], name="ticket_date_consumption"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(meter_end__gte=models.F("meter_start")),
                name="ticket_meter_end_not_below_start",
                violation_error_message="Meter end is below meter start; check the readings.",
            ),
            models.CheckConstraint(
                condition=Q(meter_start__gte=0, meter_end__lte=METER_MAX),
                name="ticket_meter_in_range",
            ),
        ]

    def __str__(self):
        return f"{format_ship_date(self.ticket_date)}: {format_gallons(self.consumption_gallons)}"

    @classmethod
    def next_meter_start(cls, *, day=None):
        """The meter end of the last ticket before ``day`` (default: the last ticket): where the
        next ticket's reading starts."""
        last = cls.objects.before(day) if day is not None else cls.objects.last_ticket()
        return last.meter_end if last else None

    def clean(self):
        if self.service_tank_pair_id is None:
            active = ServiceTankPair.active_pair()
            if active is None:
                raise ValidationError(
                    {"service_tank_pair": "No service tank pair is active; activate one before recording a ticket."}
                )
            self.service_tank_pair = active
        errors = ticket_rules.problems(self, skip=getattr(self, "_excluded_from_clean", ()))
        if errors:
            raise ValidationError(errors)
        if self.meter_start is not None and self.meter_end is not None:
            self.consumption_gallons = self.meter_end - self.meter_start

    def full_clean(self, exclude=None, validate_unique=True, validate_constraints=True):
        # A form leaves out the fields it already refused (a date typed 12/02/2026): the rules
        # that need them wait, instead of judging the model's default in their place.
        self._excluded_from_clean = set(exclude or ())
        try:
            super().full_clean(exclude, validate_unique, validate_constraints)
        finally:
            del self._excluded_from_clean

    def save(self, *args, **kwargs):
        self.full_clean()
        super().save(*args, **kwargs)


class HitchRecord(CreatedAtModel):
    """A hitch baseline: the End (or Start) of Hitch Sounding Form."""

    vessel = models.CharField(max_length=100)
    date = models.DateField(db_index=True)
    location = models.CharField(max_length=200, blank=True)
    charter = models.CharField(max_length=200, blank=True)
    draft_forward_feet = models.PositiveSmallIntegerField(null=True, blank=True, validators=FEET_VALIDATORS)
    draft_forward_inches = models.PositiveSmallIntegerField(null=True, blank=True, validators=INCHES_VALIDATORS)
    draft_aft_feet = models.PositiveSmallIntegerField(null=True, blank=True, validators=FEET_VALIDATORS)
    draft_aft_inches = models.PositiveSmallIntegerField(null=True, blank=True, validators=INCHES_VALIDATORS)
    fuel_on_log = models.DecimalField("fuel on log (gal)", max_digits=10, decimal_places=1, null=True, blank=True)
    correction = models.DecimalField("correction (gal)", max_digits=10, decimal_places=1, null=True, blank=True)
    total_fuel_gallons = models.DecimalField(
        "total fuel on board (gal)",
        max_digits=10,
        decimal_places=1,
        validators=NOT_NEGATIVE,
        help_text="The sum of the tank soundings below, within 1 % of it (at least 10 gal); the dashboard's baseline.",
    )
    lube_oil_15p = models.DecimalField(
        "lube oil 15P", max_digits=8, decimal_places=1, null=True, blank=True, validators=NOT_NEGATIVE
    )
    gear_oil_15s = models.DecimalField(
        "gear oil 15S", max_digits=8, decimal_places=1, null=True, blank=True, validators=NOT_NEGATIVE
    )
    lube_oil_16p = models.DecimalField(
        "lube oil 16P", max_digits=8, decimal_places=1, null=True, blank=True, validators=NOT_NEGATIVE
    )
    hyd_oil_16s = models.DecimalField(
        "hydraulic oil 16S", max_digits=8, decimal_places=1, null=True, blank=True, validators=NOT_NEGATIVE
    )
    engineer_name = models.CharField(max_length=100)
    is_start = models.BooleanField(
        "start of hitch", default=False, help_text="Ticked for a start-of-hitch form, else end of hitch."
    )
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_fuel_gallons__gte=0), name="hitch_total_fuel_not_negative"),
        ]

    def __str__(self):
        kind = "start" if self.is_start else "end"
        day = format_ship_date(self.date) if self.date else "?"
        return f"{self.vessel} {day} ({kind} of hitch)"

    def clean(self):
        if self.date is not None:
            future = ticket_rules.future_date_problem(self.date, what="tanks were sounded")
            if future:
                raise ValidationError({"date": future})
        if self.end_date and self.date and self.end_date < self.date:
            raise ValidationError({"end_date": "The end date is before the hitch date; check the dates."})

    def soundings_problem(self, soundings_total):
        """One sentence when the total fuel on board is not the sum of the tank soundings
        (within HITCH_TOLERANCE_PERCENT of that sum), else None."""
        if self.total_fuel_gallons is None:
            return None
        allowed = hitch_tolerance(soundings_total)
        if abs(self.total_fuel_gallons - soundings_total) <= allowed:
            return None
        return (
            f"Total fuel on board {format_gallons(self.total_fuel_gallons)} is not the sum of the tank "
            f"soundings below, {format_gallons(soundings_total)} (allowed difference "
            f"{format_gallons(allowed)}); check the total and each tank's gallons."
        )


HITCH_TOLERANCE_PERCENT = Decimal("1")
HITCH_TOLERANCE_MINIMUM = Decimal("10")


def hitch_tolerance(soundings_total):
    """The difference allowed between a hitch's total and the sum of its soundings:
    1 % of the sum, at least 10 gal (rounding of each tank's table reading)."""
    return max(soundings_total * HITCH_TOLERANCE_PERCENT / 100, HITCH_TOLERANCE_MINIMUM).quantize(Decimal("0.1"))


class FuelTankSounding(models.Model):
    class Side(models.TextChoices):
        PORT = "port", "Port"
        STBD = "stbd", "Starboard"

    class Water(models.TextChoices):
        NONE = "None", "None"
        TRACE = "Trace", "Trace"
        PRESENT = "Present", "Present"

    hitch = models.ForeignKey(HitchRecord, on_delete=models.CASCADE, related_name="tank_soundings")
    tank_number = models.CharField(max_length=8, help_text='e.g. "13".')
    side = models.CharField(max_length=4, choices=Side.choices)
    is_day_tank = models.BooleanField("day tank", default=False)
    feet = models.PositiveSmallIntegerField(validators=FEET_VALIDATORS)
    inches = models.PositiveSmallIntegerField(validators=INCHES_VALIDATORS)
    water_present = models.CharField(max_length=8, choices=Water.choices, default=Water.NONE)
    gallons = models.DecimalField(max_digits=10, decimal_places=1, validators=NOT_NEGATIVE)

    class Meta:
        ordering = ["hitch", "tank_number", "side"]
        constraints = [
            models.UniqueConstraint(
                fields=["hitch", "tank_number", "side"],
                name="fuel_tank_sounding_one_per_tank",
                violation_error_message="This tank and side is already sounded on this form.",
            ),
            models.CheckConstraint(condition=Q(inches__gte=0, inches__lte=11), name="fuel_tank_sounding_inches_0_11"),
        ]

    def __str__(self):
        return f"#{self.tank_number} {self.get_side_display()} {self.feet} ft {self.inches} in"


class BunkerDelivery(CreatedByModel):
    """Fuel received (bunker delivery note). It adds to fuel remaining from the day after its date
    when that day is after the hitch baseline, and writes its Oil Record Book entry, Code H items
    26.1–26.3, as drafts signed through the book's own flow (fueltickets.bunkers)."""

    delivered_on = models.DateField("date", help_text="The ship's date the bunkering finished.")
    started_at = models.TimeField("started", help_text="Ship's time, e.g. 09:00.")
    finished_at = models.TimeField("finished", help_text="Ship's time, e.g. 14:30.")
    place = models.CharField("port / place", max_length=200, help_text="Item 26.1: port, or position at sea.")
    bdn_number = models.CharField("BDN no.", max_length=60, help_text="The bunker delivery note's number.")
    fuel_type = models.CharField("fuel", max_length=60, default="MGO", help_text='e.g. "MGO", "ULSD".')
    quantity_gallons = models.DecimalField(
        "quantity (gal)",
        max_digits=10,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"), message="A delivery adds fuel: the quantity must be positive.")],
    )
    tanks = models.CharField("tanks filled", max_length=200, help_text='e.g. "#7 P/S, #9 P/S".')
    tanks_total_gallons = models.DecimalField(
        "total in those tanks after (gal)",
        max_digits=10,
        decimal_places=1,
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
        help_text="Item 26.3: total content of the tanks filled, when sounded.",
    )
    engineer_name = models.CharField("engineer", max_length=100)
    notes = models.TextField(blank=True)
    entries = models.ManyToManyField(
        "soundings.OrbEntry", through="BunkerEntry", related_name="bunker_deliveries", blank=True
    )

    class Meta:
        ordering = ["-delivered_on", "-id"]
        verbose_name = "bunker delivery"
        verbose_name_plural = "bunker deliveries"
        constraints = [
            models.CheckConstraint(condition=Q(quantity_gallons__gt=0), name="bunker_quantity_positive"),
        ]

    def __str__(self):
        day = format_ship_date(self.delivered_on) if self.delivered_on else "?"
        return f"{day} BDN {self.bdn_number}: {format_gallons(self.quantity_gallons)}"

    @property
    def has_signed_entries(self):
        return self.pk is not None and self.entries.filter(state="signed").exists()

    def clean(self):
        if self.delivered_on is not None:
            future = ticket_rules.future_date_problem(self.delivered_on, what="fuel was delivered")
            if future:
                raise ValidationError({"delivered_on": future})
        if self.started_at and self.finished_at and self.finished_at < self.started_at:
            raise ValidationError(
                {
                    "finished_at": "Finished is before started; a bunkering over midnight is dated the day it finished "
                    "and its start written in the notes."
                }
            )
        if self.delivered_on and self.finished_at and (not self.started_at or self.started_at <= self.finished_at):
            from fueltickets.bunkers import instant_of
            from orb.shiptime import check_not_in_future

            try:
                check_not_in_future(instant_of(self))
            except ValidationError as exc:
                raise ValidationError({"finished_at": exc.messages[0]}) from exc
        if self.has_signed_entries:
            raise ValidationError(
                "This delivery's ORB entries are signed, so it can no longer be changed; "
                "correct the signed entry in the book instead."
            )

    def save(self, *args, **kwargs):
        """Save and (re)write the draft Code H entries, all or nothing."""
        from fueltickets.bunkers import write_entries

        with transaction.atomic():
            self.full_clean()
            super().save(*args, **kwargs)
            write_entries(self)

    def delete(self, *args, **kwargs):
        raise ValidationError("Bunker deliveries are never deleted; they are part of the fuel record.")


class BunkerEntry(models.Model):
    """Links a bunker delivery to each of its ORB entries (Code H 26.1, 26.2, 26.3).

    Kept on this side so the book's app has no idea of bunkers. Discarding a draft entry removes
    its link; a signed entry is never deleted, so its link stays.
    """

    bunker = models.ForeignKey(BunkerDelivery, on_delete=models.PROTECT, related_name="entry_links")
    entry = models.OneToOneField("soundings.OrbEntry", on_delete=models.CASCADE, related_name="bunker_link")

    class Meta:
        ordering = ["bunker", "entry"]

    def __str__(self):
        return f"{self.bunker} → entry {self.entry_id}"
