import datetime

from django.contrib import admin

from fueltickets.models import DailyFuelTicket, FuelTankSounding, HitchRecord, ServiceTankPair
from orb.admin import DeleteUnlessInUseMixin, RecordedByUserMixin


@admin.register(ServiceTankPair)
class ServiceTankPairAdmin(DeleteUnlessInUseMixin, admin.ModelAdmin):
    list_display = ["__str__", "activated_at", "deactivated_at", "is_active", "notes"]
    list_filter = [("deactivated_at", admin.EmptyFieldListFilter), "activated_at"]
    search_fields = ["label", "notes"]
    date_hierarchy = "activated_at"
    readonly_fields = ["created_at"]

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
class DailyFuelTicketAdmin(RecordedByUserMixin, admin.ModelAdmin):
    list_display = [
        "ticket_date",
        "meter_start",
        "meter_end",
        "consumption_gallons",
        "service_tank_pair",
        "engineer_name",
    ]
    list_filter = [TicketYearFilter, "ticket_date", "service_tank_pair"]
    search_fields = ["engineer_name", "notes", "service_tank_pair__label"]
    list_select_related = ["service_tank_pair"]
    readonly_fields = ["consumption_gallons", "created_at", "created_by"]
    show_full_result_count = False

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        start = DailyFuelTicket.next_meter_start()
        if start is not None:
            initial.setdefault("meter_start", start)
        active = ServiceTankPair.active_pair()
        if active is not None:
            initial.setdefault("service_tank_pair", active.pk)
        return initial


class FuelTankSoundingInline(admin.TabularInline):
    model = FuelTankSounding
    extra = 0
    fields = ["tank_number", "side", "is_day_tank", "feet", "inches", "water_present", "gallons"]


@admin.register(HitchRecord)
class HitchRecordAdmin(admin.ModelAdmin):
    list_display = ["date", "vessel", "is_start", "location", "total_fuel_gallons", "engineer_name"]
    list_filter = ["is_start", "vessel", "date"]
    search_fields = ["vessel", "location", "charter", "engineer_name"]
    date_hierarchy = "date"
    readonly_fields = ["created_at"]
    inlines = [FuelTankSoundingInline]
    fieldsets = [
        (None, {"fields": ["vessel", "date", "is_start", "end_date", "location", "charter", "engineer_name"]}),
        (
            "Drafts",
            {"fields": [("draft_forward_feet", "draft_forward_inches"), ("draft_aft_feet", "draft_aft_inches")]},
        ),
        ("Fuel on board", {"fields": ["fuel_on_log", "correction", "total_fuel_gallons"]}),
        ("Oil levels", {"fields": [("lube_oil_15p", "gear_oil_15s"), ("lube_oil_16p", "hyd_oil_16s")]}),
        (None, {"fields": ["created_at"]}),
    ]


@admin.register(FuelTankSounding)
class FuelTankSoundingAdmin(admin.ModelAdmin):
    list_display = ["hitch", "tank_number", "side", "is_day_tank", "feet", "inches", "water_present", "gallons"]
    list_filter = ["side", "is_day_tank", "water_present"]
    search_fields = ["tank_number", "hitch__vessel"]
    date_hierarchy = "hitch__date"
    list_select_related = ["hitch"]
