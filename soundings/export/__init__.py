"""The book exported: PDF (A4), CSV (one row per entry) and HTML, for a date range and a code.

``export(fmt, selection)`` returns (bytes, content type, file suffix); ``manage.py export_orb``
writes them to a file (soundings/export/output.py: all or nothing) and the book page offers them
as downloads. Pages come from soundings.pages (signed pages as the Master signed them).
docs/BOOK.md is the guide.
"""

from django.utils import timezone

from soundings.export.selection import FORMATS, Selection, SelectionError, choose, parse_format

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def export(fmt, selection, *, book=None):
    """The export of ``selection`` as ``fmt`` (pdf, csv or html): (bytes, content type).
    SelectionError when nothing in the book matches."""
    from orb.shiptime import ship_date
    from soundings.export.to_csv import render_csv
    from soundings.export.to_html import render_html
    from soundings.export.to_pdf import render_pdf
    from soundings.pages import read_book

    book = book or read_book(verify=True)
    pages = choose(book, selection)
    today = ship_date(timezone.now())
    if fmt == "csv":
        data = render_csv(book, selection)
    elif fmt == "pdf":
        data = render_pdf(book, pages, today=today)
    else:
        data = render_html(book, pages, today=today)
    return data, CONTENT_TYPES[fmt]


__all__ = ["FORMATS", "Selection", "SelectionError", "export", "parse_format"]
