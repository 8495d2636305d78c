"""Service tank pairs, daily fuel tickets and hitch baselines (End of Hitch Sounding Form)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q, Value
from django.utils import timezone

from orb.models import CreatedAtModel, CreatedByModel
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


class DailyFuelTicket(CreatedByModel):
    ticket_date = models.DateField(default=timezone.localdate)
    meter_start = models.DecimalField("meter start (gal)", max_digits=8, decimal_places=1, validators=METER_VALIDATORS)
    meter_end = models.DecimalField("meter end (gal)", max_digits=8, decimal_places=1, validators=METER_VALIDATORS)
    consumption_gallons = models.DecimalField("consumption (gal)", max_digits=7, decimal_places=1, editable=False)
    service_tank_pair = models.ForeignKey(
        ServiceTankPair,
        on_delete=models.PROTECT,
        related_name="tickets",
        blank=True,
        help_text="Leave empty for the active pair.",
    )
    engineer_name = models.CharField(max_length=100)
    notes = models.TextField(blank=True)

    objects = DailyFuelTicketQuerySet.as_manager()

    class Meta:
        ordering = ["-ticket_date", "-id"]
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
        return f"{self.ticket_date} {self.consumption_gallons} gal"

    @classmethod
    def next_meter_start(cls):
        """The last ticket's meter end: where the next ticket's reading starts."""
        last = cls.objects.last_ticket()
        return last.meter_end if last else None

    def clean(self):
        if self.service_tank_pair_id is None:
            active = ServiceTankPair.active_pair()
            if active is None:
                raise ValidationError(
                    {"service_tank_pair": "No service tank pair is active; activate one before recording a ticket."}
                )
            self.service_tank_pair = active
        if self.meter_start is not None and self.meter_end is not None:
            if self.meter_end < self.meter_start:
                raise ValidationError(
                    {
                        "meter_end": f"Meter end ({self.meter_end}) is below meter start "
                        f"({self.meter_start}); check the readings, end must be at least start."
                    }
                )
            self.consumption_gallons = self.meter_end - self.meter_start

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
        help_text="From the tank soundings; the dashboard's baseline.",
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
        return f"{self.vessel} {self.date} ({kind} of hitch)"

    def clean(self):
        if self.end_date and self.date and self.end_date < self.date:
            raise ValidationError({"end_date": "The end date is before the hitch date; check the dates."})


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
