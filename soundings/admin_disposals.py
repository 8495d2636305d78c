"""Admin for Code C item 12, sludge disposals: an Engineer or the Chief Engineer records one;
saving it writes its ORB entry as a draft, signed on the entry's page like any other entry.
A recorded disposal is viewed, never changed (its entry is corrected instead)."""

from django.contrib import admin

from orb.admin import NeverDeletedMixin, RecordedByUserMixin
from soundings.models import OrbEntry, SludgeDisposal, Tank


class DisposalEntryInline(admin.TabularInline):
    model = OrbEntry
    fk_name = "disposal"
    extra = 0
    fields = ["sequence", "entry_date", "code", "item", "text", "state", "signer_name", "signer_rank"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SludgeDisposal)
class SludgeDisposalAdmin(NeverDeletedMixin, RecordedByUserMixin, admin.ModelAdmin):
    list_display = ["instant", "method", "tank", "quantity_m3", "details", "engineer_name"]
    list_filter = ["method", "tank"]
    search_fields = ["tank__designation", "facility", "receipt_reference", "other_method", "engineer_name"]
    date_hierarchy = "instant"
    list_select_related = ["tank", "to_tank"]
    fields = [
        "method",
        "tank",
        "instant",
        "quantity_m3",
        "facility",
        "receipt_reference",
        "to_tank",
        "hours",
        "other_method",
        "engineer_name",
        "engineer_title",
        "created_at",
        "created_by",
    ]
    readonly_fields = ["created_at", "created_by"]
    inlines = [DisposalEntryInline]
    show_full_result_count = False

    @admin.display(description="details")
    def details(self, obj):
        if obj.method == SludgeDisposal.Method.RECEPTION:
            return f"{obj.facility}, receipt {obj.receipt_reference}"
        if obj.method == SludgeDisposal.Method.TRANSFER:
            return f"to {obj.to_tank.designation}" if obj.to_tank_id else ""
        if obj.method == SludgeDisposal.Method.INCINERATION:
            return f"{obj.hours} h"
        return obj.other_method

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "tank":  # the sludge comes from a sludge tank (the model says so too)
            kwargs["queryset"] = Tank.objects.filter(iopp_section=Tank.IoppSection.SLUDGE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return self.fields  # a recorded disposal is part of the record: view only
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:  # a recorded disposal is never saved again
            super().save_model(request, obj, form, change)

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False  # recorded disposals are viewed, never edited
        return super().has_change_permission(request, obj)
