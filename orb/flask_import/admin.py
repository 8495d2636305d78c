"""The import record in the admin, view only: it is evidence, written once by the import."""

from django.contrib import admin

from orb.admin import ViewOnlyMixin

from .models import ImportedRow, ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["imported_at", "source_path", "short_sha256", "source_revision", "imported_by", "appended"]
    search_fields = ["source_path", "source_sha256", "journal_run"]

    @admin.display(description="sha256")
    def short_sha256(self, obj):
        return obj.source_sha256[:12]


@admin.register(ImportedRow)
class ImportedRowAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["old_table", "old_id", "outcome", "became", "note"]
    list_filter = ["outcome", "old_table", "run"]
    list_select_related = ["run"]
    search_fields = ["note", "became"]
