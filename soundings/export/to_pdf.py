"""The book as a PDF on A4: one PDF page per book page, in the MARPOL Part I form.

fpdf2 (pure Python, from requirements.txt alone) draws it; the fonts are the DejaVu Sans
Condensed files vendored beside this module (fonts/LICENSE), embedded in the PDF, so m³, dashes
and any officer's name print the same on any machine, with no system fonts and no network.

Each page: the header (ship's name, IMO number, call sign, the page number as in the book, the
working-copy notice until the flag has approved the book), the four columns, exactly the page's
lines (soundings.pages: what a line is), then the Master's signature box and the chain head of
the page's last entry with its verification state. A corrected entry is struck through with one
line and stays legible, and its signature line says "[struck through: …]" in words as well.
Text never runs out of its column: a line too wide for it is set smaller, never cut.
"""

from pathlib import Path

from fpdf import FPDF

from orb.context_processors import WORKING_COPY_NOTICE
from orb.shiptime import format_ship_date

FONTS = Path(__file__).with_name("fonts")
FONT = "DejaVu"
PT = 0.3528  # mm per point

LEFT, RIGHT, TOP = 15.0, 195.0, 12.0
COLUMNS = (("Date", 23.0), ("Code (letter)", 14.0), ("Item (number)", 15.0))
RECORD_LABEL = "Record of operations / signature of officer in charge"
HEADER_ROW = 9.0
ROWS_TOP = 40.0
ROWS_BOTTOM = 248.0
BOX_TOP, BOX_HEIGHT = 251.0, 24.0
GREY, INK, RED = (120, 120, 120), (0, 0, 0), (150, 0, 0)


def _new_pdf(title):
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(LEFT, TOP, 210 - RIGHT)
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSansCondensed.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSansCondensed-Bold.ttf"))
    pdf.add_font(FONT, "I", str(FONTS / "DejaVuSansCondensed-Oblique.ttf"))
    pdf.set_title(title)
    pdf.set_creator("ORB (manage.py export_orb)")
    return pdf


def _text(pdf, *, x, y, text, size, style="", width=None, align="L", color=INK):
    """Write ``text`` with its baseline at y; set smaller if it is wider than ``width``.
    Returns (x_start, x_end, size) of what was written."""
    pdf.set_font(FONT, style, size)
    if width is not None:
        while size > 4 and pdf.get_string_width(text) > width:
            size -= 0.25
            pdf.set_font(FONT, style, size)
    wide = pdf.get_string_width(text)
    start = x + (width - wide) if align == "R" and width is not None else x
    pdf.set_text_color(*color)
    pdf.text(start, y, text)
    pdf.set_text_color(*INK)
    return start, start + wide, size


def _header(pdf, book, page):
    vessel = book.vessel
    _text(pdf, x=LEFT, y=TOP + 4, text="OIL RECORD BOOK — PART I — Machinery space operations", size=12, style="B")
    _text(pdf, x=LEFT, y=TOP + 4, text=f"Page {page.number}", size=13, style="B", width=RIGHT - LEFT, align="R")
    particulars = (
        f"Name of ship: {vessel.name or '(not entered)'}     IMO number: {vessel.imo_number or '(not entered)'}"
        f"     Call sign: {vessel.call_sign or '(not entered)'}"
    )
    _text(pdf, x=LEFT, y=TOP + 10.5, text=particulars, size=10, width=RIGHT - LEFT - 35)
    if page.entries:
        span = f"entries {page.first_sequence} to {page.last_sequence}"
        _text(pdf, x=LEFT, y=TOP + 10.5, text=span, size=8, width=RIGHT - LEFT, align="R", color=GREY)
    if not vessel.approved:
        notice = f"{WORKING_COPY_NOTICE}. The flag has not approved this electronic record book."
        _text(pdf, x=LEFT, y=TOP + 15.5, text=notice, size=8, style="I", width=RIGHT - LEFT, color=RED)


def _column_edges():
    edges, x = [LEFT], LEFT
    for _label, width in COLUMNS:
        x += width
        edges.append(x)
    return edges + [RIGHT]  # Date | Code | Item | Record


def _table_frame(pdf, *, row_height, rows):
    edges = _column_edges()
    top = ROWS_TOP - HEADER_ROW
    bottom = ROWS_TOP + row_height * rows
    pdf.set_line_width(0.3)
    pdf.rect(LEFT, top, RIGHT - LEFT, bottom - top)
    pdf.line(LEFT, ROWS_TOP, RIGHT, ROWS_TOP)
    for x in edges[1:-1]:
        pdf.line(x, top, x, bottom)
    labels = [label for label, _w in COLUMNS] + [RECORD_LABEL]
    for label, x0, x1 in zip(labels, edges, edges[1:], strict=False):
        words = label.split(" ", 1) if x1 - x0 < 30 else [label]
        for i, word in enumerate(words):
            _text(pdf, x=x0 + 1, y=top + 4 + i * 3.3, text=word, size=8, style="B", width=x1 - x0 - 2)
    pdf.set_line_width(0.1)
    pdf.set_draw_color(*GREY)
    for i in range(1, rows):
        pdf.line(LEFT, ROWS_TOP + i * row_height, RIGHT, ROWS_TOP + i * row_height)
    pdf.set_draw_color(*INK)


def _strike(pdf, *, start, end, baseline, size):
    pdf.set_line_width(0.3)
    y = baseline - size * PT * 0.32
    pdf.line(start - 0.3, y, end + 0.3, y)
    pdf.set_line_width(0.1)


def _line(pdf, line, *, top, row_height, size):
    edges = _column_edges()
    baseline = top + row_height * 0.5 + size * PT * 0.35
    cells = [line.date, line.code, line.item]
    for text, x0, x1 in zip(cells, edges, edges[1:], strict=False):
        if text:
            start, end, used = _text(pdf, x=x0 + 1, y=baseline, text=text, size=size, width=x1 - x0 - 2)
            if line.struck:
                _strike(pdf, start=start, end=end, baseline=baseline, size=used)
    x0, width = edges[3] + 1.5, RIGHT - edges[3] - 3
    if line.signature:
        mark_width = 0.0
        if line.mark:
            start, _end, _size = _text(
                pdf, x=x0, y=baseline, text=line.mark, size=size - 1.5, style="B", width=width, align="R", color=RED
            )
            mark_width = x0 + width - start + 2
        _text(pdf, x=x0, y=baseline, text=line.text, size=size - 0.5, style="I", width=width - mark_width)
        pdf.set_line_width(0.25)
        pdf.line(LEFT, top + row_height, RIGHT, top + row_height)  # the end of the entry
        pdf.set_line_width(0.1)
    elif line.text:
        start, end, used = _text(pdf, x=x0, y=baseline, text=line.text, size=size, width=width)
        if line.struck:
            _strike(pdf, start=start, end=end, baseline=baseline, size=used)


def _rows(pdf, page):
    rows = max(page.lines_per_page, len(page.lines))
    row_height = (ROWS_BOTTOM - ROWS_TOP) / rows
    size = min(9.5, row_height / PT * 0.62)
    _table_frame(pdf, row_height=row_height, rows=rows)
    for i, line in enumerate(page.lines):
        if not line.blank:
            _line(pdf, line, top=ROWS_TOP + i * row_height, row_height=row_height, size=size)
    if not page.entries:
        _text(pdf, x=_column_edges()[3] + 1.5, y=ROWS_TOP + row_height * 0.7, text="No signed entries yet.", size=size)


def _signature_box(pdf, page):
    pdf.set_line_width(0.4)
    pdf.rect(LEFT, BOX_TOP, RIGHT - LEFT, BOX_HEIGHT)
    _text(pdf, x=LEFT + 2, y=BOX_TOP + 4.5, text="Master's signature", size=9, style="B")
    if page.signature is not None:
        _text(pdf, x=LEFT + 6, y=BOX_TOP + 12.5, text=page.master_signature_line, size=13, style="I")
        sig = page.signature
        detail = (
            f"Page signed {page.master_signed_time}, entries {sig.first_sequence} to {sig.last_sequence}; "
            f"chain head signed: {sig.chain_head}"
        )
        _text(pdf, x=LEFT + 6, y=BOX_TOP + 19.5, text=detail, size=7, width=RIGHT - LEFT - 8, color=GREY)


def _chain(pdf, page, *, printed):
    y = BOX_TOP + BOX_HEIGHT + 5
    if page.entries:
        head = f"Chain head at entry {page.last_sequence}: {page.chain_head or '(none)'}"
        _text(pdf, x=LEFT, y=y, text=head, size=7.5, width=RIGHT - LEFT)
        state = page.chain_note or "not verified"
        color = INK if page.chain_verified else RED
        _text(pdf, x=LEFT, y=y + 4.5, text=f"Chain: {state}", size=8, style="B", width=RIGHT - LEFT, color=color)
    footer = f"Oil Record Book Part I, page {page.number}. Printed {printed} from ORB."
    _text(pdf, x=LEFT, y=290, text=footer, size=7, width=RIGHT - LEFT, color=GREY)


def render_pdf(book, pages, *, today):
    """The PDF file's bytes: ``pages`` (whole book pages, soundings.pages.Page) of ``book``."""
    name = book.vessel.name or "the vessel"
    pdf = _new_pdf(f"Oil Record Book Part I of {name}, pages {pages[0].number} to {pages[-1].number}")
    for page in pages:
        pdf.add_page()
        _header(pdf, book, page)
        _rows(pdf, page)
        _signature_box(pdf, page)
        _chain(pdf, page, printed=format_ship_date(today))
    return bytes(pdf.output())
