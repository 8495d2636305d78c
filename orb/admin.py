"""The admin site's titles, and the admin behaviour the ORB apps' ModelAdmins share.

Mixins go first in a class's bases (``class TankAdmin(DeleteUnlessInUseMixin, admin.ModelAdmin)``)
so their methods come before ModelAdmin's.
"""
from django.contrib import admin

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
