"""The hitch handover package (issue 15): manage.py handover HITCH --output DIR as a subprocess on a
real SQLite file; the PDF read back with pypdf, the workbook with openpyxl."""

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

pytestmark = pytest.mark.e2e


def assert_clean(result, code):
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


SEED = """
from datetime import date, timedelta
from decimal import Decimal
from django.utils import timezone
from fueltickets.models import DailyFuelTicket, FuelTankSounding, HitchRecord
today = timezone.localdate()
opening = HitchRecord(vessel="MV Test", date=today - timedelta(days=20), total_fuel_gallons=Decimal("9000.0"),
                      engineer_name="R. Jones", location="Port Fourchon")
opening.save()
FuelTankSounding.objects.create(
    hitch=opening, tank_number="13", side="port", feet=3, inches=0, gallons=Decimal("9000.0")
)
start = DailyFuelTicket.next_meter_start() or Decimal("1000.0")
for n in range(5):
    end = start + Decimal("400.5")
    DailyFuelTicket(ticket_date=today - timedelta(days=15 - n), meter_start=start, meter_end=end,
                    engineer_name="J. Smith", notes="=HYPERLINK(\\"x\\")" if n == 0 else "").save()
    start = end
closing = HitchRecord(vessel="MV Test", date=today - timedelta(days=5), total_fuel_gallons=Decimal("6900.0"),
                      engineer_name="R. Jones")
closing.save()
FuelTankSounding.objects.create(
    hitch=closing, tank_number="13", side="port", feet=2, inches=0, gallons=Decimal("6900.0")
)
print(opening.pk)
"""


def test_the_handover_package_of_a_closed_hitch(project, tmp_path):
    seeded = project.run("shell", "-c", SEED)
    assert seeded.returncode == 0, seeded.stderr
    hitch = seeded.stdout.strip().splitlines()[-1]
    out = tmp_path / "package"
    out.mkdir()

    result = project.run("handover", hitch, "--output", str(out))

    assert_clean(result, 0)
    pdf_path, xlsx_path = sorted(out.glob("handover-*.pdf")), sorted(out.glob("handover-*.xlsx"))
    assert len(pdf_path) == 1 and len(xlsx_path) == 1, list(out.iterdir())
    text = "\n".join(page.extract_text() for page in PdfReader(pdf_path[0]).pages)
    assert "Hitch handover" in text and "End of Hitch Sounding Form" in text
    assert "9,000.0" in text and "6,900.0" in text  # opening and closing totals
    book = load_workbook(io.BytesIO(xlsx_path[0].read_bytes()))
    assert book.sheetnames == ["Reconciliation", "Fuel tickets", "Weekly soundings", "Bunker deliveries", "ORB entries"]
    figures = {row[0]: row[2] for row in book["Reconciliation"].iter_rows(min_row=2, values_only=True)}
    # 9,000.0 − 5 × 400.5 = 6,997.5 expected; 6,900.0 found: −97.5 gal, −1.4 %
    assert figures["Expected on board"] == pytest.approx(6997.5)
    assert figures["Discrepancy (closing − expected)"] == pytest.approx(-97.5)
    assert figures["Discrepancy"] == pytest.approx(-1.4)
    tickets = list(book["Fuel tickets"].iter_rows(min_row=2, values_only=True))
    assert len(tickets) == 5
    assert tickets[0][6] == '\'=HYPERLINK("x")'  # shown, never run


def test_an_unknown_hitch_and_a_missing_folder_are_one_sentence(project, tmp_path):
    result = project.run("handover", "999", "--output", str(tmp_path))
    assert_clean(result, 1)
    assert "There is no hitch record '999'" in result.stderr
    missing = project.run("handover", "1", "--output", str(tmp_path / "nope"))
    assert_clean(missing, 1)
