"""The handover workbook (.xlsx): one sheet per kind of record of the hitch, and the
reconciliation. openpyxl writes it (the well-kept pure-Python writer of the format).

Numbers stay numbers (gallons to one decimal, m³ to two), dates are real dates shown as
dd-MMM-yyyy. Text cells that a spreadsheet would run as a formula (= + - @ at the start) are
neutralised the way the book's CSV export does it (soundings.export.to_csv.neutralise), so a note
typed as "=HYPERLINK(...)" is shown, never run.
"""

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from orb.shiptime import format_ship_date, format_ship_time
from soundings.export.to_csv import neutralise

DATE_FORMAT = "dd-mmm-yyyy"
GALLONS_FORMAT = "#,##0.0"
M3_FORMAT = "0.00"
BOLD = Font(bold=True)


def _cell(value):
    return neutralise(value) if isinstance(value, str) else value


def _sheet(book, title, headers, rows, *, formats=None):
    sheet = book.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = BOLD
    for row in rows:
        sheet.append([_cell(value) for value in row])
    for column, number_format in (formats or {}).items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(12, len(header) + 2)
    sheet.freeze_panes = "A2"
    return sheet


def _tickets(book, period):
    rows = [
        (t.ticket_date, t.meter_start, t.meter_end, t.consumption_gallons, str(t.service_tank_pair), t.engineer_name,
         t.notes)
        for t in period.tickets().select_related("service_tank_pair")
    ]  # fmt: skip
    headers = ["Date", "Meter start (gal)", "Meter end (gal)", "Burned (gal)", "Service tanks", "Engineer", "Notes"]
    formats = {1: DATE_FORMAT, 2: GALLONS_FORMAT, 3: GALLONS_FORMAT, 4: GALLONS_FORMAT}
    _sheet(book, "Fuel tickets", headers, rows, formats=formats)


def _soundings(book, period):
    rows = [
        (format_ship_time(s.recorded_at), s.tank.designation, s.tank.name, s.feet, s.inches, s.gallons, s.m3,
         s.engineer_name, s.engineer_title)
        for s in period.weekly_soundings()
    ]  # fmt: skip
    headers = ["Time (ship)", "Tank", "Name", "Feet", "Inches", "Volume (gal)", "Volume (m³)", "Engineer", "Rank"]
    _sheet(book, "Weekly soundings", headers, rows, formats={6: GALLONS_FORMAT, 7: M3_FORMAT})


def _bunkers(book, period):
    rows = [
        (b.delivered_on, b.bdn_number, b.place, b.fuel_type, b.quantity_gallons, b.tanks, b.engineer_name, b.notes)
        for b in period.bunkers()
    ]
    headers = ["Date", "BDN no.", "Port / place", "Fuel", "Quantity (gal)", "Tanks filled", "Engineer", "Notes"]
    _sheet(book, "Bunker deliveries", headers, rows, formats={1: DATE_FORMAT, 5: GALLONS_FORMAT})


def _entries(book, entries):
    rows = [
        (e.sequence, format_ship_date(e.entry_date), e.code, e.item, e.text, e.signature_line,
         "late entry" if e.is_late else "", f"corrects entry {e.corrects.sequence}: {e.correction_reason}"
         if e.corrects_id else "")
        for e in entries
    ]  # fmt: skip
    headers = ["Entry", "Date", "Code", "Item", "Record of operations", "Signature", "Late", "Correction"]
    _sheet(book, "ORB entries", headers, rows)


def _reconciliation(book, period, figures):
    closing = figures.closing_total
    rows = [
        ("Opening soundings (hitch form)", format_ship_date(period.opening.date), figures.opening_total),
        ("Consumed (fuel tickets)", f"{len(period.tickets())} tickets", -figures.consumed),
        ("Bunkers received", f"{len(period.bunkers())} deliveries", figures.bunkered),
        ("Expected on board", "", figures.expected),
        ("Closing soundings (next hitch form)", format_ship_date(period.closing.date) if period.closing else
         "hitch still open", closing),
        ("Discrepancy (closing − expected)", "gallons", figures.discrepancy),
        ("Discrepancy", "% of expected", figures.discrepancy_percent),
    ]  # fmt: skip
    sheet = _sheet(book, "Reconciliation", ["Figure", "Of", "Gallons"], rows, formats={3: GALLONS_FORMAT})
    sheet["C8"].number_format = "0.0"
    sheet.column_dimensions["A"].width = 38
    sheet.column_dimensions["B"].width = 22


def render_workbook(period, *, entries, figures):
    """The .xlsx file's bytes."""
    book = Workbook()
    book.remove(book.active)
    _reconciliation(book, period, figures)
    _tickets(book, period)
    _soundings(book, period)
    _bunkers(book, period)
    _entries(book, entries)
    book.properties.title = f"Handover, {period.describe()}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
