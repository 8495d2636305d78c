"""The admin site's titles, the admin behaviour the ORB apps' ModelAdmins share, and the
admin of the orb app's own tables (user profiles, ship time offsets, vessel particulars).

Mixins go first in a class's bases (``class TankAdmin(DeleteUnlessInUseMixin, admin.ModelAdmin)``)
so their methods come before ModelAdmin's.
"""

from datetime import timedelta

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import models

from orb.models import ShipTimeOffset, UserProfile, VesselParticulars
from orb.shiptime import format_offset

admin.site.site_header = "Oil Record Book"
admin.site.site_title = "ORB"
admin.site.index_title = "Engine room records"
admin.site.site_url = "/dashboard/"


class NeverDeletedMixin:
    """The rows are part of the record: nobody deletes them here, not even a superuser."""

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyMixin(NeverDeletedMixin):
    """Written only by the code that records them: nobody adds or changes them here either.

    For a ModelAdmin and an inline alike (an inline's methods also get the parent ``obj``).
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ShipDatesMixin:
    """Dates typed as ISO, dd-MON-yyyy or with the date picker; "12/02/2026" and the like are
    refused with a sentence saying how they could be read (fueltickets.date_input)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        from fueltickets.date_input import ShipDateField, ShipSplitDateTimeField

        if isinstance(db_field, models.DateTimeField):
            kwargs.setdefault("form_class", ShipSplitDateTimeField)
            kwargs["widget"] = ShipSplitDateTimeField.widget
        elif isinstance(db_field, models.DateField):
            kwargs.setdefault("form_class", ShipDateField)
            kwargs["widget"] = ShipDateField.widget
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class DeleteUnlessInUseMixin:
    """A row others depend on is kept: no delete permission once ``in_use(obj)`` says so."""

    def in_use(self, obj):
        raise NotImplementedError("say when a row is in use")

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.in_use(obj):
            return False
        return super().has_delete_permission(request, obj)


class RecordedByUserMixin:
    """Adding a record: the engineer's name starts as the logged-in user's, and the row's
    ``created_by`` is that user (orb.models.CreatedByModel)."""

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        user = request.user
        if user.is_authenticated:
            initial.setdefault("engineer_name", user.get_full_name() or user.get_username())
        return initial

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# --- The orb app's own tables (issue 13) ------------------------------------------------------


class UserProfileInline(NeverDeletedMixin, admin.StackedInline):
    """The rank an officer signs with and, for an Inspector, when the account expires."""

    model = UserProfile
    can_delete = False
    max_num = 1
    fields = ["rank", "account_expires_at"]


class UserWithProfileAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, UserProfileInline]


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserWithProfileAdmin)


@admin.register(UserProfile)
class UserProfileAdmin(NeverDeletedMixin, admin.ModelAdmin):
    """Profiles on their own page too: the Chief Engineer sets ranks and expiry here without
    the permission to change logins themselves (which would let him grant himself anything)."""

    list_display = ["user", "rank", "account_expires_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "rank"]
    fields = ["user", "rank", "account_expires_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj is not None else []


@admin.register(ShipTimeOffset)
class ShipTimeOffsetAdmin(NeverDeletedMixin, admin.ModelAdmin):
    """Append-only: a wrong offset is followed by a new row, never edited (dates already
    written in the book were computed with it)."""

    list_display = ["effective_from", "offset", "note", "set_by", "created_at"]
    list_select_related = ["set_by"]
    fields = ["effective_from", "offset_minutes", "note"]

    @admin.display(description="offset")
    def offset(self, obj):
        return format_offset(timedelta(minutes=obj.offset_minutes))

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(VesselParticulars)
class VesselParticularsAdmin(NeverDeletedMixin, admin.ModelAdmin):
    """One row: added once, changed afterwards, never deleted."""

    list_display = ["name", "imo_number", "call_sign", "flag", "flag_approval_reference", "flag_approval_date"]
    fieldsets = [
        (None, {"fields": ["name", "imo_number", "call_sign", "flag", "lines_per_page"]}),
        ("Dashboard alerts", {"fields": ["slop_alert_percent", "days_left_alert"]}),
        (
            "Flag approval of the electronic record book",
            {
                "fields": ["flag_approval_reference", "flag_approval_date"],
                "description": "Until both are entered, the paper Oil Record Book remains the official record.",
            },
        ),
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not VesselParticulars.objects.exists()
