"""The book as one HTML file: the chosen whole pages, each as on screen, one printed A4 page each
(the page's CSS breaks after every book page). Standalone: styles inline, nothing fetched."""

from django.template.loader import render_to_string

from orb.context_processors import WORKING_COPY_NOTICE
from orb.shiptime import format_ship_date


def render_html(book, pages, *, today):
    """The HTML file's bytes: ``pages`` of ``book`` (the same template as the book view)."""
    name = book.vessel.name or "the vessel"
    context = {
        "title": f"Oil Record Book Part I of {name}, pages {pages[0].number} to {pages[-1].number}",
        "pages": pages,
        "vessel": book.vessel,
        "working_copy_notice": WORKING_COPY_NOTICE,
        "printed": format_ship_date(today),
    }
    return render_to_string("soundings/book_export.html", context).encode("utf-8")
