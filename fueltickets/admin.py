import datetime

from django.contrib import admin
from django.contrib.admin.widgets import AdminTimeWidget
from django.db import models
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from fueltickets.forms import HitchRecordForm
from fueltickets.handover.download import HandoverDownloads
from fueltickets.models import (
    BunkerDelivery,
    BunkerEntry,
    DailyFuelTicket,
    FuelTankSounding,
    HitchRecord,
    ServiceTankPair,
)
from fueltickets.quantities import format_gallons, format_gallons_as_m3
from fueltickets.ticket_history import change_message, may_correct
from orb.admin import DeleteUnlessInUseMixin, NeverDeletedMixin, RecordedByUserMixin, ShipDatesMixin, ViewOnlyMixin
from orb.shiptime import format_ship_date, format_ship_time, ship_date


def _gallons_column(field, description):
    """A list column of a gallons field: 15,500.9, sortable, right-aligned by the admin's CSS."""

    @admin.display(description=description, ordering=field)
    def column(self, obj):
        return format_gallons(getattr(obj, field), unit=False)

    return column


class FuelListsMedia:
    """The fuel lists' CSS (one line per row, quantities aligned, a tablet layout) and when a row
    was written, in ship's time."""

    class Media:
        css = {"all": ["fueltickets/admin_lists.css"]}

    @admin.display(description="recorded")
    def recorded(self, obj):
        return format_ship_time(obj.created_at) if obj.created_at else "—"


def _date_column(field, description="date"):
    @admin.display(description=description, ordering=field)
    def column(self, obj):
        value = getattr(obj, field)
        if value is None:
            return "—"
        if isinstance(value, datetime.datetime):  # no query per row: the server's time zone (ORB_TIME_ZONE)
            local = timezone.localtime(value)
            return f"{format_ship_date(local.date())} {local:%H:%M}"
        return format_ship_date(value)

    return column


@admin.register(ServiceTankPair)
class ServiceTankPairAdmin(FuelListsMedia, ShipDatesMixin, DeleteUnlessInUseMixin, admin.ModelAdmin):
    list_display = ["__str__", "activated", "deactivated", "is_active", "notes"]
    list_filter = [("deactivated_at", admin.EmptyFieldListFilter), "activated_at"]
    search_fields = ["label", "notes"]
    readonly_fields = ["recorded"]
    activated = _date_column("activated_at", "activated")
    deactivated = _date_column("deactivated_at", "deactivated")

    @admin.display(boolean=True, description="active")
    def is_active(self, obj):
        return obj.is_active

    def in_use(self, obj):
        return obj.tickets.exists()


class TicketYearFilter(admin.SimpleListFilter):
    """Years of tickets, from the first and last ticket dates (two index lookups).

    Used instead of ``date_hierarchy``: with no year chosen, Django's date hierarchy lists
    the years with ``SELECT DISTINCT`` over a date-truncating function of every row, which the
    embedded database runs in Python, about two seconds at a million tickets (docs/PERFORMANCE.md).
    """

    title = "year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        # Two single-ended lookups: each is answered from the end of the index, which the
        # embedded database does not do for MIN and MAX in one query.
        dates = model_admin.get_queryset(request).order_by().values_list("ticket_date", flat=True)
        first, last = dates.order_by("ticket_date").first(), dates.order_by("-ticket_date").first()
        if first is None:
            return []
        return [(str(y), str(y)) for y in range(last.year, first.year - 1, -1)]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            year = int(self.value())
            return queryset.filter(
                ticket_date__gte=datetime.date(year, 1, 1), ticket_date__lt=datetime.date(year + 1, 1, 1)
            )
        return queryset


@admin.register(DailyFuelTicket)
class DailyFuelTicketAdmin(FuelListsMedia, ShipDatesMixin, RecordedByUserMixin, admin.ModelAdmin):
    """Engineers correct their own tickets for 24 hours, then only the Chief Engineer may
    (fueltickets.ticket_history); every change is written to the history with old and new values."""

    list_display = ["date", "start", "end", "burned", "service_tank_pair", "engineer_name", "reset"]
    list_filter = [TicketYearFilter, "service_tank_pair"]
    search_fields = ["engineer_name", "notes", "service_tank_pair__label"]
    list_select_related = ["service_tank_pair"]
    readonly_fields = ["consumption_gallons", "recorded", "created_by"]
    show_full_result_count = False
    fieldsets = [
        (
            None,
            {
                "fields": ["ticket_date", ("meter_start", "meter_end"), "consumption_gallons", "service_tank_pair"],
                "description": "Meter start is the previous ticket's end. Engineers may correct their own "
                "ticket for 24 hours; after that only the Chief Engineer may. Every change is kept in the history.",
            },
        ),
        ("Meter replaced or reset", {"fields": ["meter_reset", "meter_reset_reason"]}),
        (None, {"fields": ["engineer_name", "notes", "recorded", "created_by"]}),
    ]
    date = _date_column("ticket_date")
    start = _gallons_column("meter_start", "start (gal)")
    end = _gallons_column("meter_end", "end (gal)")
    burned = _gallons_column("consumption_gallons", "burned (gal)")

    @admin.display(boolean=True, description="reset", ordering="meter_reset")
    def reset(self, obj):
        return obj.meter_reset

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("ticket_date", ship_date(timezone.now()))  # the ship's date, not the server's
        # The last ticket up to the ship's today (an old ticket dated in the future is not followed).
        start = DailyFuelTicket.next_meter_start(day=ship_date(timezone.now()) + datetime.timedelta(days=1))
        if start is not None:
            initial.setdefault("meter_start", start)
        active = ServiceTankPair.active_pair()
        if active is not None:
            initial.setdefault("service_tank_pair", active.pk)
        return initial

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or may_correct(request.user, obj))

    def construct_change_message(self, request, form, formsets, add=False):
        return change_message(form, add=add)


class FuelTankSoundingInline(admin.TabularInline):
    model = FuelTankSounding
    extra = 0
    fields = ["tank_number", "side", "is_day_tank", "feet", "inches", "water_present", "gallons"]
    verbose_name = "fuel tank sounding"
    verbose_name_plural = "Fuel tank soundings (one row per tank and side; gallons from the tank's table)"

    class Media:
        css = {"all": ["fueltickets/hitch_form.css"]}


FORM_TITLE = "End of Hitch Sounding Form"


@admin.register(HitchRecord)
class HitchRecordAdmin(HandoverDownloads, FuelListsMedia, ShipDatesMixin, admin.ModelAdmin):
    """A hitch starts from its End of Hitch Sounding Form: the Chief Engineer adds it (the only
    role with the add permission, orb/roles.py); its total is the baseline of the dashboard's fuel
    remaining. Every role downloads a hitch's handover package (fueltickets.handover.download)."""

    form = HitchRecordForm
    list_display = ["hitch_date", "vessel", "is_start", "location", "total", "engineer_name"]
    list_filter = ["is_start", "vessel", "date"]
    search_fields = ["vessel", "location", "charter", "engineer_name"]
    readonly_fields = ["recorded"]
    inlines = [FuelTankSoundingInline]
    fieldsets = [
        (None, {"fields": ["date", "vessel", "location", "charter", "engineer_name", "is_start", "end_date"]}),
        (
            "Drafts (feet, inches)",
            {"fields": [("draft_forward_feet", "draft_forward_inches"), ("draft_aft_feet", "draft_aft_inches")]},
        ),
        ("Fuel on board", {"fields": ["fuel_on_log", "correction", "total_fuel_gallons"]}),
        ("Oil levels (gal)", {"fields": [("lube_oil_15p", "gear_oil_15s"), ("lube_oil_16p", "hyd_oil_16s")]}),
        (None, {"fields": ["recorded"]}),
    ]
    hitch_date = _date_column("date")
    total = _gallons_column("total_fuel_gallons", "fuel on board (gal)")

    def add_view(self, request, form_url="", extra_context=None):
        extra = {"title": f"{FORM_TITLE}: start a hitch", **(extra_context or {})}
        return super().add_view(request, form_url, extra_context=extra)

    def get_changeform_initial_data(self, request):
        """The ship's date, the vessel's name and the Chief Engineer's own name to start with."""
        from orb.models import VesselParticulars

        initial = super().get_changeform_initial_data(request)
        initial.setdefault("date", ship_date(timezone.now()))
        vessel = VesselParticulars.objects.values_list("name", flat=True).first()
        vessel = vessel or HitchRecord.objects.values_list("vessel", flat=True).first()
        if vessel:
            initial.setdefault("vessel", vessel)
        initial.setdefault("engineer_name", request.user.get_full_name() or request.user.get_username())
        return initial

    def construct_change_message(self, request, form, formsets, add=False):
        if add or formsets and any(f.has_changed() for f in formsets):
            return super().construct_change_message(request, form, formsets, add)  # the soundings' rows
        return change_message(form, add=add)


@admin.register(FuelTankSounding)
class FuelTankSoundingAdmin(FuelListsMedia, admin.ModelAdmin):
    list_display = ["hitch", "tank_number", "side", "is_day_tank", "feet", "inches", "water_present", "volume"]
    list_filter = ["side", "is_day_tank", "water_present"]
    search_fields = ["tank_number", "hitch__vessel"]
    list_select_related = ["hitch"]
    volume = _gallons_column("gallons", "gal")


@admin.register(BunkerDelivery)
class BunkerDeliveryAdmin(FuelListsMedia, ShipDatesMixin, NeverDeletedMixin, RecordedByUserMixin, admin.ModelAdmin):
    """Recording a delivery writes its Code H entry as drafts (signed in ORB entries). Once one of
    them is signed, the delivery is shown to view only."""

    list_display = ["date", "bdn_number", "fuel_type", "quantity", "quantity_m3", "tanks", "place", "entry_state"]
    list_filter = ["delivered_on"]
    search_fields = ["bdn_number", "place", "tanks", "engineer_name"]
    readonly_fields = ["orb_entries", "recorded", "created_by"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "delivered_on",
                    ("started_at", "finished_at"),
                    "place",
                    "bdn_number",
                    ("fuel_type", "quantity_gallons"),
                    "tanks",
                    "tanks_total_gallons",
                    "engineer_name",
                    "notes",
                ],
                "description": "Saving writes the ORB entry, Code H items 26.1–26.3, as drafts to be signed "
                "in ORB entries. The quantity adds to fuel remaining from the day after the delivery.",
            },
        ),
        ("Oil Record Book", {"fields": ["orb_entries", "recorded", "created_by"]}),
    ]
    date = _date_column("delivered_on")
    quantity = _gallons_column("quantity_gallons", "gal")
    formfield_overrides = {models.TimeField: {"widget": AdminTimeWidget(format="%H:%M")}}

    @admin.display(description="m³")
    def quantity_m3(self, obj):
        return format_gallons_as_m3(obj.quantity_gallons, unit=False)

    @admin.display(description="ORB entry")
    def entry_state(self, obj):
        states = {e.state for e in obj.entries.all()}
        if not states:
            return "—"
        return "signed" if states == {"signed"} else "draft" if states == {"draft"} else "partly signed"

    @admin.display(description="entries (Code H)")
    def orb_entries(self, obj):
        entries = list(obj.entries.order_by("item")) if obj.pk else []
        if not entries:
            return "Written when the delivery is saved."
        return format_html_join(mark_safe("<br>"), "{} {} ({})", ((e.item, e.text, e.state) for e in entries))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("entries")

    def construct_change_message(self, request, form, formsets, add=False):
        return change_message(form, add=add)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or not obj.has_signed_entries)


@admin.register(BunkerEntry)
class BunkerEntryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Which ORB entry belongs to which delivery: written with the delivery, read here."""

    list_display = ["bunker", "entry"]
    list_select_related = ["bunker", "entry"]
