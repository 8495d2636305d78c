from django.contrib import admin
from django.db.models import Count

from orb.admin import DeleteUnlessInUseMixin, NeverDeletedMixin, RecordedByUserMixin, ViewOnlyMixin
from soundings.models import CalibrationRow, OrbEntry, Tank, WeeklySounding


class CalibrationRowInline(DeleteUnlessInUseMixin, admin.TabularInline):
    model = CalibrationRow
    extra = 0
    fields = ["feet", "inches", "gallons"]

    def in_use(self, obj):
        # obj is the tank: its table stays complete once soundings were taken with it.
        return obj.is_in_use()


@admin.register(Tank)
class TankAdmin(DeleteUnlessInUseMixin, admin.ModelAdmin):
    list_display = ["designation", "name", "iopp_section", "orb_code", "capacity_gallons", "capacity_m3", "row_count"]
    list_filter = ["iopp_section"]
    search_fields = ["designation", "name"]
    readonly_fields = ["orb_code", "capacity_m3"]
    fields = ["designation", "name", "iopp_section", "orb_code", "capacity_gallons", "capacity_m3"]
    inlines = [CalibrationRowInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_row_count=Count("calibration_rows"))

    @admin.display(description="ORB code")
    def orb_code(self, obj):
        return obj.orb_code

    @admin.display(description="capacity (m³)")
    def capacity_m3(self, obj):
        return obj.capacity_m3

    @admin.display(description="calibration rows", ordering="_row_count")
    def row_count(self, obj):
        return obj._row_count

    def in_use(self, obj):
        return obj.is_in_use()


@admin.register(CalibrationRow)
class CalibrationRowAdmin(DeleteUnlessInUseMixin, admin.ModelAdmin):
    list_display = ["tank", "feet", "inches", "gallons"]
    list_filter = ["tank"]
    search_fields = ["tank__designation", "tank__name"]
    list_select_related = ["tank"]
    ordering = ["tank__designation", "feet", "inches"]

    def in_use(self, obj):
        return obj.tank.is_in_use()


class OrbEntryInline(ViewOnlyMixin, admin.TabularInline):
    model = OrbEntry
    extra = 0
    fields = ["entry_date", "code", "item", "text", "officer_name", "officer_rank", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(WeeklySounding)
class WeeklySoundingAdmin(NeverDeletedMixin, RecordedByUserMixin, admin.ModelAdmin):
    list_display = ["recorded_at", "tank", "depth", "gallons", "m3_rounded", "engineer_name", "engineer_title"]
    list_filter = ["tank", "recorded_at"]
    search_fields = ["tank__designation", "tank__name", "engineer_name"]
    date_hierarchy = "recorded_at"
    list_select_related = ["tank"]
    fields = ["tank", "recorded_at", "feet", "inches", "manual_collection_m3", "engineer_name",
              "engineer_title", "gallons", "m3", "created_at", "created_by"]
    readonly_fields = ["gallons", "m3", "created_at", "created_by"]
    inlines = [OrbEntryInline]
    show_full_result_count = False

    @admin.display(description="depth")
    def depth(self, obj):
        return f"{obj.feet} ft {obj.inches} in"

    @admin.display(description="volume (m³)")
    def m3_rounded(self, obj):
        return obj.m3_rounded

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return self.fields  # a recorded sounding is part of the record: view only
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:  # a recorded sounding is never saved again
            super().save_model(request, obj, form, change)

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False  # recorded soundings are viewed, never edited
        return super().has_change_permission(request, obj)


@admin.register(OrbEntry)
class OrbEntryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["entry_date", "code", "item", "text", "officer_name", "officer_rank", "sounding"]
    list_filter = ["code", "entry_date"]
    search_fields = ["text", "officer_name", "item"]
    date_hierarchy = "entry_date"
    list_select_related = ["sounding__tank"]
    readonly_fields = ["entry_date", "code", "item", "text", "sounding", "officer_name",
                       "officer_rank", "created_at", "created_by"]
    show_full_result_count = False
