from django.contrib.auth.decorators import login_required, permission_required
from django.template.response import TemplateResponse
from django.utils import timezone

from orb.chart import bar_chart
from orb.dashboard import dashboard_data
from soundings.models import OrbEntry
from soundings.units import format_orb_date


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
    """The Oil Record Book, Part I, in the MARPOL layout, printable page by page.

    Signed entries only, in book order (signing order); pages as soundings.record.book_pages
    makes them (signed pages as the Master signed them). A corrected entry stays, struck through.
    """
    from soundings.record import book_pages

    pages = book_pages()
    try:
        number = min(max(int(request.GET.get("page", "")), 1), len(pages))
    except ValueError:
        number = len(pages)  # the page being written
    page = pages[number - 1]
    corrected = set(
        OrbEntry.objects.filter(corrects__in=[e.pk for e in page.entries], state="signed").values_list(
            "corrects_id", flat=True
        )
    )
    lines = [
        {
            "entry": entry,
            "date": format_orb_date(entry.entry_date),
            "corrected": entry.pk in corrected,
            "signature": entry.signature_line,
        }
        for entry in page.entries
    ]
    master = ""
    if page.signature is not None:
        from datetime import timedelta

        from orb.shiptime import format_ship_date

        sig = page.signature
        day = (sig.signed_at + timedelta(minutes=sig.signed_offset_minutes)).date()
        master = f"signed: {sig.master_name}, {sig.master_rank}, {format_ship_date(day)}"
    context = {
        "page": page,
        "lines": lines,
        "num_pages": len(pages),
        "master_signature": master,
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if number < len(pages) else None,
    }
    return TemplateResponse(request, "orb/orb_book.html", context)
