from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from orb.admin import DeleteUnlessInUseMixin, NeverDeletedMixin, RecordedByUserMixin, ViewOnlyMixin
from soundings import admin_disposals, audit, record
from soundings.models import (
    AuditEvent,
    CalibrationRow,
    CalibrationVersion,
    EntryReview,
    OrbEntry,
    PageSignature,
    Tank,
    WeeklySounding,
)


class CalibrationRowInline(DeleteUnlessInUseMixin, admin.TabularInline):
    """The rows of every version; a version a sounding used is never edited (the model refuses),
    so once the tank is in use, a changed table is loaded as a new version."""

    model = CalibrationRow
    extra = 0
    fields = ["version", "feet", "inches", "gallons"]
    readonly_fields = ["version"]

    def in_use(self, obj):
        # obj is the tank: its table stays complete once soundings were taken with it.
        return obj.is_in_use()


class CalibrationVersionInline(ViewOnlyMixin, admin.TabularInline):
    model = CalibrationVersion
    extra = 0
    fields = ["number", "loaded_at", "loaded_by_name", "source", "sha256"]
    readonly_fields = fields
    can_delete = False


@admin.register(Tank)
class TankAdmin(DeleteUnlessInUseMixin, admin.ModelAdmin):
    list_display = ["designation", "name", "iopp_section", "orb_code", "capacity_gallons", "capacity_m3", "row_count"]
    list_filter = ["iopp_section"]
    search_fields = ["designation", "name", "iopp_wording"]
    readonly_fields = ["orb_code", "capacity_m3"]
    fields = [
        "designation",
        "name",
        "iopp_section",
        "orb_code",
        "iopp_wording",
        "iopp_capacity_m3",
        "capacity_gallons",
        "capacity_m3",
    ]
    inlines = [CalibrationVersionInline, CalibrationRowInline]

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
    list_display = ["tank", "version", "feet", "inches", "gallons"]
    list_filter = ["tank", "version"]
    search_fields = ["tank__designation", "tank__name"]
    list_select_related = ["tank", "version__tank"]
    ordering = ["tank__designation", "-version__number", "feet", "inches"]
    fields = ["tank", "version", "feet", "inches", "gallons"]

    def in_use(self, obj):
        return obj.version.is_in_use() if obj.version_id else obj.tank.is_in_use()

    def has_change_permission(self, request, obj=None):
        if obj is not None and self.in_use(obj):
            return False  # a version a sounding used is never edited
        return super().has_change_permission(request, obj)


@admin.register(CalibrationVersion)
class CalibrationVersionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Versions are made by manage.py load_sounding_tables (or by a tank's first rows); viewed here."""

    list_display = ["tank", "number", "loaded_at", "loaded_by_name", "row_count", "sounding_count", "short_sha256"]
    list_filter = ["tank"]
    list_select_related = ["tank"]
    fields = ["tank", "number", "loaded_at", "loaded_by", "loaded_by_name", "source", "sha256"]
    readonly_fields = fields

    def get_queryset(self, request):
        # One counting subquery each: two joined COUNT(DISTINCT)s multiply a version's rows by its
        # soundings before counting (a table of 300 rows read by 500 soundings: 150,000 pairs).
        return (
            super()
            .get_queryset(request)
            .annotate(
                _rows=_count_of(CalibrationRow, "version"), _soundings=_count_of(WeeklySounding, "calibration_version")
            )
        )

    @admin.display(description="rows", ordering="_rows")
    def row_count(self, obj):
        return obj._rows

    @admin.display(description="soundings", ordering="_soundings")
    def sounding_count(self, obj):
        return obj._soundings

    @admin.display(description="sha256")
    def short_sha256(self, obj):
        return obj.sha256[:12]


def _count_of(model, field):
    """How many rows of ``model`` point at the calibration version by ``field`` (a subquery)."""
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)


class BookColumns:
    """The entry as every view of the book shows it: the ship's date as dd-MON-yyyy, the record
    struck through once corrected, and the signature line with its date (DOMAIN.md)."""

    @admin.display(description="date", ordering="entry_date")
    def book_date(self, obj):
        from orb.shiptime import format_ship_date

        # One line: a dd-MON-yyyy date must not wrap at its hyphens in a narrow column.
        return (
            format_html('<span style="white-space:nowrap">{}</span>', format_ship_date(obj.entry_date))
            if obj.entry_date
            else ""
        )

    @admin.display(description="record of operations")
    def record(self, obj):
        corrected = getattr(obj, "_corrected", None)
        if corrected is None:
            corrected = obj.is_corrected
        if corrected:
            return format_html('<del class="corrected">{}</del>', obj.text)
        if obj.corrects_id:
            return format_html("{} <em>(corrects entry {}: {})</em>", obj.text, obj.corrects_id, obj.correction_reason)
        return obj.text

    @admin.display(description="signature")
    def signature(self, obj):
        return obj.signature_line


class OrbEntryInline(BookColumns, ViewOnlyMixin, admin.TabularInline):
    model = OrbEntry
    extra = 0
    fields = ["sequence", "book_date", "code", "item", "record", "state", "signature"]
    readonly_fields = fields
    can_delete = False


@admin.register(WeeklySounding)
class WeeklySoundingAdmin(NeverDeletedMixin, RecordedByUserMixin, admin.ModelAdmin):
    list_display = ["recorded_at", "tank", "kind", "depth", "gallons", "m3_rounded", "engineer_name"]
    list_filter = ["tank", "kind", "recorded_at"]
    search_fields = ["tank__designation", "tank__name", "engineer_name"]
    date_hierarchy = "recorded_at"
    list_select_related = ["tank"]
    fields = [
        "tank",
        "kind",
        "recorded_at",
        "feet",
        "inches",
        "quarters",
        "manual_collection_m3",
        "manual_collection_source",
        "engineer_name",
        "engineer_title",
        "gallons",
        "m3",
        "calibration_version",
        "created_at",
        "created_by",
    ]
    readonly_fields = ["gallons", "m3", "calibration_version", "created_at", "created_by"]
    inlines = [OrbEntryInline]
    show_full_result_count = False

    @admin.display(description="depth")
    def depth(self, obj):
        return obj.depth_text

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


class AuditsDeniedMixin:
    """A permission denied in the admin's change or delete pages is written to the audit trail
    (after the admin's own transaction has ended, so the row stays)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except PermissionDenied:
            audit.permission_denied(request, self.model, object_id, "add" if object_id is None else "change")
            raise

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except PermissionDenied:
            audit.permission_denied(request, self.model, object_id, "delete")
            raise


class PasswordForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, help_text="Your own password, again: you sign as yourself.")


class CorrectionForm(PasswordForm):
    text = forms.CharField(label="record of operations (corrected)", widget=forms.Textarea)
    reason = forms.CharField(label="why the entry is wrong", widget=forms.Textarea)
    field_order = ["text", "reason", "password"]


class PageSignForm(PasswordForm):
    page_number = forms.IntegerField(min_value=1)
    field_order = ["page_number", "password"]


def _form_page(request, admin_obj, *, title, form, obj=None, intro=""):
    context = {
        **admin_obj.admin_site.each_context(request),
        "title": title,
        "form": form,
        "object": obj,
        "intro": intro,
        "opts": admin_obj.model._meta,
    }
    return TemplateResponse(request, "admin/soundings/record_form.html", context)


__all__ = ["admin_disposals"]  # registers the sludge disposal admin


@admin.register(OrbEntry)
class OrbEntryAdmin(BookColumns, AuditsDeniedMixin, admin.ModelAdmin):
    """Drafts are added (remarks), changed and discarded here; signing, the Chief Engineer's
    review and corrections have their own pages, each asking for the user's password."""

    list_display = [
        "sequence",
        "book_date",
        "code_letter",
        "item",
        "record",
        "state",
        "signature",
        "is_late",
        "legacy",
        "sounding",
    ]
    list_display_links = ["book_date"]
    list_filter = ["state", "code", "is_late", "legacy", "entry_date"]
    search_fields = ["text", "signer_name", "officer_name", "item"]
    date_hierarchy = "entry_date"
    list_select_related = ["sounding__tank"]
    fields = ["code", "item", "text", "instant"]
    signed_fields = [
        "sequence",
        "entry_date",
        "instant",
        "ship_offset_minutes",
        "code",
        "item",
        "record",
        "sounding",
        "officer_name",
        "officer_rank",
        "state",
        "signature",
        "signer_name",
        "signer_rank",
        "signed_at",
        "is_late",
        "legacy",
        "corrects",
        "correction_reason",
        "entry_hash",
        "created_at",
        "created_by",
    ]
    show_full_result_count = False

    def get_queryset(self, request):
        from django.db.models import Exists, OuterRef

        corrected = OrbEntry._base_manager.filter(corrects=OuterRef("pk"), state="signed")
        return super().get_queryset(request).annotate(_corrected=Exists(corrected))

    @admin.display(description="code", ordering="code")
    def code_letter(self, obj):
        """The letter, as the book prints it (the filter beside the list names each code)."""
        return obj.code

    def get_fields(self, request, obj=None):
        return self.signed_fields if obj is not None and obj.is_signed else self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.signed_fields if obj is not None and obj.is_signed else []

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_signed:
            return False
        return super().has_change_permission(request, obj) or self._may_draft(request)

    def has_add_permission(self, request):
        return super().has_add_permission(request) or self._may_draft(request)

    def has_delete_permission(self, request, obj=None):
        """Nothing in the book is deleted here; a draft is discarded on its own page (discard_view)."""
        return False

    @staticmethod
    def _may_draft(request):
        user = request.user
        return user.is_active and user.has_perm("soundings.add_weeklysounding")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "record_links": self._links(request, obj)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _links(self, request, obj):
        if obj is None:
            return []
        name = "admin:soundings_orbentry_"
        if not obj.is_signed:
            return [
                ("Sign this entry", reverse(name + "sign", args=[obj.pk])),
                ("Discard this draft", reverse(name + "discard", args=[obj.pk])),
            ]
        links = [("Correct this entry", reverse(name + "correct", args=[obj.pk]))]
        if not EntryReview.objects.filter(entry=obj).exists():
            links.append(("Review (Chief Engineer)", reverse(name + "review", args=[obj.pk])))
        return links

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/sign/", wrap(self.sign_view), name="soundings_orbentry_sign"),
            path("<int:pk>/review/", wrap(self.review_view), name="soundings_orbentry_review"),
            path("<int:pk>/correct/", wrap(self.correct_view), name="soundings_orbentry_correct"),
            path("<int:pk>/discard/", wrap(self.discard_view), name="soundings_orbentry_discard"),
            *super().get_urls(),
        ]

    def _entry(self, request, pk):
        entry = get_object_or_404(OrbEntry, pk=pk)
        if not self.has_view_permission(request, entry):
            raise PermissionDenied
        return entry

    def _done(self, request, entry, message):
        self.message_user(request, message, messages.SUCCESS)
        return redirect(reverse("admin:soundings_orbentry_change", args=[entry.pk]))

    def _run(self, request, form, action):
        try:
            return action()
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        return None

    def sign_view(self, request, pk):
        entry = self._entry(request, pk)
        if not self._may_draft(request) and not request.user.is_superuser:
            audit.permission_denied(request, OrbEntry, pk, "sign")
            raise PermissionDenied
        form = PasswordForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            done = self._run(
                request, form, lambda: entry.sign(user=request.user, password=form.cleaned_data["password"])
            )
            if done is not None:
                return self._done(request, entry, f"Entry {entry.sequence} signed: {entry.signature_line}.")
        return _form_page(
            request,
            self,
            title=f"Sign entry: {entry}",
            form=form,
            obj=entry,
            intro="Signing makes this entry a line of the book for good; it can then only be corrected.",
        )

    def discard_view(self, request, pk):
        """A draft is not part of the book: whoever may change it discards it (recorded)."""
        entry = self._entry(request, pk)
        if entry.is_signed or not self.has_change_permission(request, entry):
            audit.permission_denied(request, OrbEntry, pk, "discard")
            raise PermissionDenied
        form = forms.Form(request.POST or None)
        if request.method == "POST":
            entry.discard(user=request.user)
            self.message_user(request, "Draft discarded.", messages.SUCCESS)
            return redirect(reverse("admin:soundings_orbentry_changelist"))
        return _form_page(
            request,
            self,
            title="Discard this draft",
            form=form,
            obj=entry,
            intro="The draft was never part of the book; discarding it is recorded in the audit trail.",
        )

    def review_view(self, request, pk):
        entry = self._entry(request, pk)
        form = PasswordForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            done = self._run(
                request, form, lambda: entry.review(user=request.user, password=form.cleaned_data["password"])
            )
            if done is not None:
                return self._done(request, entry, f"Entry {entry.sequence} reviewed.")
        return _form_page(request, self, title=f"Review entry {entry.sequence}", form=form, obj=entry)

    def correct_view(self, request, pk):
        entry = self._entry(request, pk)
        if not self._may_draft(request) and not request.user.is_superuser:
            audit.permission_denied(request, OrbEntry, pk, "correct")
            raise PermissionDenied
        form = CorrectionForm(request.POST or None, initial={"text": entry.text})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            new = self._run(
                request,
                form,
                lambda: entry.correct(
                    user=request.user, password=data["password"], text=data["text"], reason=data["reason"]
                ),
            )
            if new is not None:
                return self._done(request, new, f"Entry {entry.sequence} corrected by entry {new.sequence}.")
        return _form_page(
            request,
            self,
            title=f"Correct entry {entry.sequence}",
            form=form,
            obj=entry,
            intro="The wrong entry stays in the book, struck through; the correction is a new signed entry.",
        )


@admin.register(EntryReview)
class EntryReviewAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["entry", "reviewer_name", "reviewer_rank", "reviewed_at"]
    list_select_related = ["entry"]


@admin.register(PageSignature)
class PageSignatureAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "page_number",
        "first_sequence",
        "last_sequence",
        "master_name",
        "master_rank",
        "signed_at",
        "chain_head",
    ]

    def get_urls(self):
        return [
            path("sign/", self.admin_site.admin_view(self.sign_view), name="soundings_pagesignature_sign"),
            *super().get_urls(),
        ]

    def sign_view(self, request):
        if not request.user.groups.filter(name=record.MASTER).exists():
            audit.permission_denied(request, PageSignature, "", "page signature")
            raise PermissionDenied
        form = PageSignForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                done = record.sign_page(data["page_number"], user=request.user, password=data["password"])
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                self.message_user(request, f"Page {done.page_number} signed.", messages.SUCCESS)
                return redirect(reverse("admin:soundings_pagesignature_changelist"))
        pages = [p for p in record.book_pages() if p.signature is None and p.complete]
        intro = (
            "Completed pages waiting for your signature: " + ", ".join(str(p.number) for p in pages)
            if pages
            else "No completed page waits for a signature."
        )
        return _form_page(request, self, title="Sign a page of the Oil Record Book", form=form, intro=intro)


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "username", "action", "model", "object_id", "note"]
    list_filter = ["action", "model"]
    search_fields = ["username", "object_id", "note"]
    date_hierarchy = "at"
    readonly_fields = ["at", "user", "username", "action", "model", "object_id", "old", "new", "note"]
    show_full_result_count = False
