"""Hitches in the admin (issue 15): the Chief Engineer starts a hitch from the End of Hitch
Sounding Form, and nobody else may; every role downloads a hitch's handover package (the files
``manage.py handover`` writes), a login without a role does not."""

import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from fueltickets.models import DailyFuelTicket, FuelTankSounding, HitchRecord
from orb.models import VesselParticulars
from orb.shiptime import format_ship_date, ship_date

ADD = reverse("admin:fueltickets_hitchrecord_add")
LIST = reverse("admin:fueltickets_hitchrecord_changelist")
ROLES = ["Chief Engineer", "Engineer", "Master", "Inspector", "Viewer"]


def today():
    return ship_date(timezone.now())


def text(response):
    return " ".join(response.content.decode().split())


def download_url(hitch, kind):
    return reverse("admin:fueltickets_hitchrecord_handover", args=[hitch.pk, kind])


def form_post(*, day, total, soundings):
    data = {
        "date": day.isoformat(),
        "vessel": "Arrowhead",
        "location": "Port Fourchon",
        "engineer_name": "C. Chief",
        "draft_forward_feet": "9",
        "draft_forward_inches": "6",
        "draft_aft_feet": "11",
        "draft_aft_inches": "2",
        "total_fuel_gallons": total,
        "lube_oil_15p": "120.0",
        "gear_oil_15s": "80.5",
        "tank_soundings-TOTAL_FORMS": str(len(soundings)),
        "tank_soundings-INITIAL_FORMS": "0",
        "tank_soundings-MIN_NUM_FORMS": "0",
        "tank_soundings-MAX_NUM_FORMS": "1000",
    }
    for n, (tank, side, gallons) in enumerate(soundings):
        data.update(
            {
                f"tank_soundings-{n}-tank_number": tank,
                f"tank_soundings-{n}-side": side,
                f"tank_soundings-{n}-feet": "4",
                f"tank_soundings-{n}-inches": "3",
                f"tank_soundings-{n}-water_present": "None",
                f"tank_soundings-{n}-gallons": gallons,
            }
        )
    return data


@pytest.fixture
def officer(make_officer):
    def make(group):
        return make_officer(group.lower().replace(" ", "_"), first="A.", last=group, rank=group, group=group)

    return make


@pytest.fixture
def hitch(db, active_pair):
    """A closed hitch: opened 20 days ago with 9,000.0 gal, two tickets of 400.5, closed 5 days ago."""
    opening = HitchRecord(vessel="Arrowhead", date=today() - timedelta(days=20), total_fuel_gallons=Decimal("9000.0"),
                          engineer_name="R. Jones", location="Port Fourchon")  # fmt: skip
    opening.save()
    FuelTankSounding.objects.create(hitch=opening, tank_number="13", side="port", feet=3, inches=0, gallons=9000)
    for n, start in enumerate([Decimal("1000.0"), Decimal("1400.5")]):
        DailyFuelTicket(ticket_date=today() - timedelta(days=15 - n), meter_start=start,
                        meter_end=start + Decimal("400.5"), engineer_name="J. Smith").save()  # fmt: skip
    closing = HitchRecord(vessel="Arrowhead", date=today() - timedelta(days=5), total_fuel_gallons=Decimal("8150.0"),
                          engineer_name="R. Jones")  # fmt: skip
    closing.save()
    return opening


# --- Starting a hitch -----------------------------------------------------------------------


def test_the_chief_starts_a_hitch_from_the_end_of_hitch_sounding_form(client, officer):
    VesselParticulars.objects.create(name="Arrowhead", imo_number="9074729")
    chief = officer("Chief Engineer")
    client.force_login(chief)
    assert "Start a hitch: End of Hitch Sounding Form" in text(client.get(LIST))
    page = client.get(ADD)
    html = text(page)
    assert "<title>End of Hitch Sounding Form: start a hitch" in html
    for label in ["Date", "Vessel", "Location", "Drafts (feet, inches)", "Fuel tank soundings", "Oil levels (gal)",
                  "Total fuel on board (gal)", "within 1 % of it (at least 10 gal)"]:  # fmt: skip
        assert label in html, label
    form = page.context["adminform"].form
    assert form.initial["date"] == today()
    assert form.initial["vessel"] == "Arrowhead"
    assert form.initial["engineer_name"] == "A. Chief Engineer"

    day = today() - timedelta(days=1)
    soundings = [("13", "port", "4460.0"), ("13", "stbd", "4470.0")]
    response = client.post(ADD, form_post(day=day, total="8930.0", soundings=soundings))

    assert response.status_code == 302, response.context["adminform"].form.errors
    started = HitchRecord.objects.get()
    assert (started.date, started.total_fuel_gallons, started.draft_aft_inches) == (day, Decimal("8930.0"), 2)
    assert sorted(started.tank_soundings.values_list("side", "gallons")) == [
        ("port", Decimal("4460.0")),
        ("stbd", Decimal("4470.0")),
    ]
    dashboard = text(client.get(reverse("dashboard")))
    assert f"Baseline 8,930.0 gal on {format_ship_date(day)}" in dashboard


def test_a_form_whose_total_is_not_its_soundings_starts_no_hitch(client, officer):
    client.force_login(officer("Chief Engineer"))
    soundings = [("7", "port", "4460.0"), ("7", "stbd", "4460.0")]
    response = client.post(ADD, form_post(day=today(), total="20000", soundings=soundings))
    assert response.status_code == 200
    assert "is not the sum of the tank soundings below, 8,920.0 gal" in text(response)
    assert not HitchRecord.objects.exists() and not FuelTankSounding.objects.exists()


@pytest.mark.parametrize("group", ["Engineer", "Master", "Inspector", "Viewer"])
def test_only_the_chief_engineer_starts_a_hitch(client, officer, group):
    client.force_login(officer(group))
    assert client.get(ADD).status_code == 403
    soundings = [("13", "port", "4460.0")]
    assert client.post(ADD, form_post(day=today(), total="4460.0", soundings=soundings)).status_code == 403
    assert not HitchRecord.objects.exists()
    assert "Start a hitch" not in text(client.get(LIST))
    assert "Start a hitch" not in text(client.get(reverse("dashboard")))


# --- The handover package from the admin ----------------------------------------------------


def test_the_chief_downloads_the_package_built_as_the_command_builds_it(client, officer, hitch):
    client.force_login(officer("Chief Engineer"))
    stem = f"handover-{hitch.date.isoformat()}-hitch-{hitch.pk}"

    pdf = client.get(download_url(hitch, "pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'attachment; filename="{stem}.pdf"'
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Hitch handover" in pdf_text and "End of Hitch Sounding Form" in pdf_text
    assert "9,000.0" in pdf_text and "8,150.0" in pdf_text

    xlsx = client.get(download_url(hitch, "xlsx"))
    assert xlsx["Content-Disposition"] == f'attachment; filename="{stem}.xlsx"'
    book = load_workbook(io.BytesIO(xlsx.content))
    figures = {row[0]: row[2] for row in book["Reconciliation"].iter_rows(min_row=2, values_only=True)}
    assert figures["Expected on board"] == pytest.approx(9000 - 2 * 400.5)
    assert figures["Discrepancy (closing − expected)"] == pytest.approx(8150 - 8199)
    assert len(list(book["Fuel tickets"].iter_rows(min_row=2))) == 2

    both = client.get(download_url(hitch, "zip"))
    assert both["Content-Disposition"] == f'attachment; filename="{stem}.zip"'
    with zipfile.ZipFile(io.BytesIO(both.content)) as archive:
        assert sorted(archive.namelist()) == [f"{stem}/{stem}.pdf", f"{stem}/{stem}.xlsx"]
        assert archive.read(f"{stem}/{stem}.pdf")[:5] == b"%PDF-"
        zipped_book = load_workbook(io.BytesIO(archive.read(f"{stem}/{stem}.xlsx")))
    assert zipped_book.sheetnames == book.sheetnames


@pytest.mark.parametrize("group", ROLES)
def test_every_role_sees_and_follows_the_download_links(client, officer, hitch, group):
    client.force_login(officer(group))
    page = text(client.get(reverse("admin:fueltickets_hitchrecord_change", args=[hitch.pk])))
    for kind, label in [("pdf", "Handover PDF"), ("xlsx", "Handover workbook (.xlsx)"), ("zip", "Both files (.zip)")]:
        assert f'<a href="{download_url(hitch, kind)}" class="handoverlink" download>{label}</a>' in page
    listed = text(client.get(LIST))
    assert "Handover package" in listed and f'href="{download_url(hitch, "zip")}"' in listed
    response = client.get(download_url(hitch, "xlsx"))
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_a_login_without_the_records_views_neither_sees_nor_downloads(client, make_officer, hitch):
    """View permission on hitch records alone is not enough: the package holds the book's pages too."""
    user = make_officer("hitches_only", rank="Cadet")
    user.user_permissions.add(Permission.objects.get(codename="view_hitchrecord"))
    client.force_login(user)
    page = text(client.get(reverse("admin:fueltickets_hitchrecord_change", args=[hitch.pk])))
    assert "Handover PDF" not in page and "handover/" not in page
    assert "Handover package" not in text(client.get(LIST))
    for kind in ["pdf", "xlsx", "zip"]:
        assert client.get(download_url(hitch, kind)).status_code == 403
    client.force_login(make_officer("norole", rank="Cadet"))
    assert client.get(download_url(hitch, "pdf")).status_code == 403


def test_a_download_needs_a_login_a_known_hitch_and_a_known_kind(client, officer, hitch):
    anonymous = client.get(download_url(hitch, "pdf"))
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    client.force_login(officer("Viewer"))
    assert client.get(download_url(hitch, "docx")).status_code == 404
    missing = reverse("admin:fueltickets_hitchrecord_handover", args=[99999, "pdf"])
    response = client.get(missing, follow=True)
    assert response.redirect_chain and "doesn’t exist" in text(response)
