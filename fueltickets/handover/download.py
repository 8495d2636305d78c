"""The handover package as a download from the admin (a hitch record's page and the hitch list).

The files are the ones ``manage.py handover`` writes (package.build), sent as the PDF, the
workbook, or both in one .zip. Who may download: anyone who may view every kind of record the
package holds (the hitch records, fuel tickets, bunker deliveries, weekly soundings and the book's
entries). A package is read-only, so every role does (the Chief Engineer, the Engineer, the Master,
the Inspector, the Viewer); a staff account without a role does not.
"""

import io
import zipfile

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join

from fueltickets.handover import package
from orb.shiptime import ship_date

VIEW_PERMISSIONS = (
    "fueltickets.view_hitchrecord",
    "fueltickets.view_dailyfuelticket",
    "fueltickets.view_bunkerdelivery",
    "soundings.view_weeklysounding",
    "soundings.view_orbentry",
)
KINDS = {
    "pdf": ("application/pdf", "Handover PDF"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Handover workbook (.xlsx)"),
    "zip": ("application/zip", "Both files (.zip)"),
}


def may_download(user):
    return user.is_active and user.has_perms(VIEW_PERMISSIONS)


def _zipped(built):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{built.stem}/{built.stem}.pdf", built.pdf)
        archive.writestr(f"{built.stem}/{built.stem}.xlsx", built.xlsx)
    return out.getvalue()


def response(hitch, *, kind, today):
    """The download of ``kind`` ("pdf", "xlsx" or "zip") of the package of the hitch ``hitch`` opens."""
    built = package.build(hitch, today=today)
    data = built.pdf if kind == "pdf" else built.xlsx if kind == "xlsx" else _zipped(built)
    content_type, _ = KINDS[kind]
    answer = HttpResponse(data, content_type=content_type)
    answer["Content-Disposition"] = f'attachment; filename="{built.stem}.{kind}"'
    answer["Cache-Control"] = "no-store"  # a package is of its moment: the open hitch grows every day
    return answer


class HandoverDownloads:
    """A ModelAdmin of hitch records: the URLs <id>/handover/<kind>/ and, when the user may
    download, the links on the record's page (``handover_links`` in its context) and a list column."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.handover_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_handover"
        return [path("<path:object_id>/handover/<str:kind>/", view, name=name), *super().get_urls()]

    def handover_view(self, request, object_id, kind):
        if kind not in KINDS:
            raise Http404("A handover package is a pdf, an xlsx or a zip.")
        hitch = self.get_object(request, object_id)
        if hitch is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not (self.has_view_or_change_permission(request, hitch) and may_download(request.user)):
            raise PermissionDenied
        return response(hitch, kind=kind, today=ship_date(timezone.now()))

    def handover_links(self, request, obj):
        """[(label, url)] of the package's files, [] without the permission."""
        if obj is None or obj.pk is None or not may_download(request.user):
            return []
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_handover"
        return [(label, reverse(name, args=[obj.pk, kind])) for kind, (_, label) in KINDS.items()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {"handover_links": self.handover_links(request, obj), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        return [*shown, "handover"] if may_download(request.user) else shown

    @admin.display(description="handover package")
    def handover(self, obj):
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_handover"
        links = ((reverse(name, args=[obj.pk, kind]), kind) for kind in KINDS)
        return format_html_join(" · ", '<a href="{}" download>{}</a>', links)
