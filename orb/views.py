from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.utils import timezone

from orb.chart import bar_chart
from orb.dashboard import dashboard_data
from soundings.models import OrbEntry
from soundings.units import format_orb_date

ORB_LINES_PER_PAGE = 40


@login_required
def dashboard(request):
    data = dashboard_data(today=timezone.localdate())
    context = {
        "data": data,
        "chart": bar_chart(series=data.daily),
        "today_text": format_orb_date(data.today),
    }
    return TemplateResponse(request, "orb/dashboard.html", context)


@login_required
@permission_required("soundings.view_orbentry", raise_exception=True)
def orb_book(request):
    """The Oil Record Book, Part I, in the MARPOL layout, printable page by page."""
    paginator = Paginator(OrbEntry.objects.order_by("entry_date", "id"), ORB_LINES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    entries = list(page.object_list)
    lines = []
    for index, entry in enumerate(entries):
        following = entries[index + 1] if index + 1 < len(entries) else None
        operation_ends = following is None or following.sounding_id != entry.sounding_id or entry.sounding_id is None
        lines.append(
            {
                "entry": entry,
                "date": format_orb_date(entry.entry_date),
                "signature": f"{entry.officer_name}, {entry.officer_rank}" if operation_ends else "",
            }
        )
    return TemplateResponse(request, "orb/orb_book.html", {"page": page, "lines": lines})
