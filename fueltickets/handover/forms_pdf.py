"""The handover PDF: a summary page (the hitch, its reconciliation), each hitch sounding form of
the hitch (opening and closing), then the Oil Record Book pages that hold the hitch's entries,
whole pages as the book numbers them (soundings.export: the same pages export_orb prints).

fpdf2 draws the forms with the book's vendored fonts; pypdf joins them with the book's pages
(both pure Python, from requirements.txt).
"""

import io

from fpdf import FPDF
from fpdf.fonts import FontFace
from pypdf import PdfWriter

from fueltickets.quantities import format_gallons
from orb.shiptime import format_ship_date
from soundings.export.to_pdf import FONT, FONTS

OIL_LEVELS = (
    ("Lube oil 15P", "lube_oil_15p"),
    ("Gear oil 15S", "gear_oil_15s"),
    ("Lube oil 16P", "lube_oil_16p"),
    ("Hydraulic oil 16S", "hyd_oil_16s"),
)
HEADINGS = FontFace(emphasis="BOLD", fill_color=(225, 230, 238))


def _new_pdf(title):
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSansCondensed.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSansCondensed-Bold.ttf"))
    pdf.set_title(title)
    pdf.set_creator("ORB (manage.py handover)")
    return pdf


def _heading(pdf, text, *, vessel_name):
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, f"Vessel: {vessel_name}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _table(pdf, rows, *, widths):
    pdf.set_font(FONT, "", 9.5)
    with pdf.table(col_widths=widths, headings_style=HEADINGS, line_height=6) as table:
        for values in rows:
            row = table.row()
            for value in values:
                row.cell("" if value is None else str(value))
    pdf.ln(4)


def _gallons(value):
    return format_gallons(value) if value is not None else ""


def _depth(feet, inches):
    return "" if feet is None else f"{feet}' {inches or 0}\""


def _summary(pdf, period, figures, *, vessel_name):
    pdf.add_page()
    _heading(pdf, "Hitch handover", vessel_name=vessel_name)
    pdf.set_font(FONT, "", 10)
    intro = (
        f"This package covers the {period.describe()}: the hitch sounding forms, the fuel reconciliation, "
        "and the Oil Record Book pages that hold the hitch's entries. The workbook (.xlsx) beside it lists "
        "every fuel ticket, weekly sounding, bunker delivery and ORB entry."
    )
    pdf.multi_cell(0, 6, intro)
    pdf.ln(3)
    closing = period.closing
    rows = [
        ("Figure", "Gallons"),
        (f"Opening soundings, {format_ship_date(period.opening.date)}", _gallons(figures.opening_total)),
        ("Consumed (fuel tickets)", _gallons(-figures.consumed)),
        ("Bunkers received", _gallons(figures.bunkered)),
        ("Expected on board", _gallons(figures.expected)),
        (f"Closing soundings, {format_ship_date(closing.date)}" if closing else "Closing soundings: hitch open",
         _gallons(figures.closing_total)),
        ("Discrepancy (closing − expected)", "" if figures.discrepancy is None else
         f"{_gallons(figures.discrepancy)} ({figures.discrepancy_percent} %)"),
    ]  # fmt: skip
    _table(pdf, rows, widths=(110, 70))


def _form(pdf, hitch, *, vessel_name):
    pdf.add_page()
    kind = "Start of Hitch Sounding Form" if hitch.is_start else "End of Hitch Sounding Form"
    _heading(pdf, f"{kind}, {format_ship_date(hitch.date)}", vessel_name=hitch.vessel or vessel_name)
    details = [
        ("Item", "Value"),
        ("Location", hitch.location),
        ("Charter", hitch.charter),
        ("Draft forward", _depth(hitch.draft_forward_feet, hitch.draft_forward_inches)),
        ("Draft aft", _depth(hitch.draft_aft_feet, hitch.draft_aft_inches)),
        ("Fuel on log", _gallons(hitch.fuel_on_log)),
        ("Correction", _gallons(hitch.correction)),
        ("Total fuel on board", _gallons(hitch.total_fuel_gallons)),
        ("Engineer", hitch.engineer_name),
    ]
    _table(pdf, details, widths=(60, 120))
    tanks = [("Tank", "Side", "Day tank", "Sounding", "Water", "Gallons")]
    tanks += [
        (t.tank_number, t.get_side_display(), "yes" if t.is_day_tank else "", _depth(t.feet, t.inches),
         t.get_water_present_display(), _gallons(t.gallons))
        for t in hitch.tank_soundings.order_by("id")
    ]  # fmt: skip
    _table(pdf, tanks, widths=(20, 22, 22, 30, 30, 56))
    levels = [("Oil level", "Gallons")] + [(label, _gallons(getattr(hitch, name))) for label, name in OIL_LEVELS]
    _table(pdf, levels, widths=(90, 90))


def render_forms(period, figures, *, vessel_name):
    pdf = _new_pdf(f"Hitch handover, {period.describe()}")
    _summary(pdf, period, figures, vessel_name=vessel_name)
    for hitch in (period.opening, period.closing):
        if hitch is not None:
            _form(pdf, hitch, vessel_name=vessel_name)
    return bytes(pdf.output())


def join(*documents):
    """One PDF of several PDF files' bytes, in order (empty ones left out)."""
    writer = PdfWriter()
    for document in documents:
        if document:
            writer.append(io.BytesIO(document))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
