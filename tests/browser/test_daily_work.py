"""The engine room's daily work in Chromium (issue 15): an Engineer adds a fuel ticket, a weekly
sounding and a bunker delivery through the admin's forms and sees the dashboard change; signs an
entry (asked for the password again); the Chief Engineer starts a hitch from the End of Hitch
Sounding Form and downloads its handover package, read back with pypdf and openpyxl.

One server and database for the session (tests/browser/conftest.py): each test works on its own
dates and tank, and compares the dashboard before and after its own change, so the tests pass in
any order. Screenshots at 1280 px and tablet width go to .artifacts/browser.
"""

import io
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def gallons(text):
    """Decimal of the first quantity in ``text`` ("15,500.9 gal" -> 15500.9); None for "—"."""
    found = re.search(r"-?[\d,]+\.\d", text)
    return Decimal(found.group().replace(",", "")) if found else None


def card(page, card_id):
    """(value, note) of a dashboard card."""
    page.go("/dashboard/")
    value = page.page.inner_text(f"#{card_id} .value")
    return gallons(value), " ".join(page.page.inner_text(f"#{card_id} .note").split())


def ship_today(page):
    """The ship's date as the server sees it: the date a new fuel ticket starts with."""
    page.go("/admin/fueltickets/dailyfuelticket/add/")
    return date.fromisoformat(page.page.input_value("#id_ticket_date"))


def save(page):
    with page.page.expect_navigation():
        page.page.click("input[name=_save]")
    errors = page.page.locator(".errornote, .errorlist").all_inner_texts()
    assert errors == [], errors


def assert_fits(page, name):
    """Screenshots at 1280 px and on the tablet; nothing wider than the window at either."""
    page.screenshot(name)
    for width in (1280, 800):
        page.page.set_viewport_size({"width": width, "height": 900})
        assert not page.overflows(), f"{name} is wider than {width} px"
    page.page.set_viewport_size({"width": 1280, "height": 800})


def test_an_engineer_adds_a_fuel_ticket_and_the_dashboard_counts_it(open_page):
    page = open_page()
    page.login("smith")
    remaining, _ = card(page, "fuel-remaining")
    burned_today, _ = card(page, "today-consumption")
    today = ship_today(page)
    start = page.page.input_value("#id_meter_start")
    if not start:  # the first ticket of the ship: the meter's reading is typed
        page.page.fill("#id_meter_start", "104200.0")
        start = "104200.0"
    assert page.page.input_value("#id_engineer_name") == "J. Smith"
    page.page.fill("#id_meter_end", str(Decimal(start) + Decimal("912.4")))
    assert_fits(page, "ticket-form")
    save(page)
    assert "was added successfully" in page.page.inner_text(".messagelist")
    assert today.strftime("%d-%b-%Y").upper() in page.page.inner_text("#result_list")
    assert_fits(page, "ticket-list")

    after, note = card(page, "fuel-remaining")
    assert after == remaining - Decimal("912.4"), note
    assert card(page, "today-consumption")[0] == (burned_today or 0) + Decimal("912.4")
    assert_fits(page, "dashboard-after-ticket")


def test_an_engineer_records_a_weekly_sounding_and_the_slop_tank_shows_it(open_page):
    page = open_page()
    page.login("smith")
    yesterday = ship_today(page) - timedelta(days=1)
    page.go("/admin/soundings/weeklysounding/add/")
    options = page.page.eval_on_selector_all("#id_tank option", "os => os.map(o => [o.value, o.textContent])")
    tank = next(value for value, label in options if label.startswith("17P"))
    page.page.select_option("#id_tank", tank)
    page.page.fill("#id_recorded_at_0", yesterday.isoformat())
    page.page.fill("#id_recorded_at_1", "10:00")
    page.page.fill("#id_feet", "1")
    page.page.fill("#id_inches", "6")
    if not page.page.input_value("#id_engineer_title"):
        page.page.fill("#id_engineer_title", "2nd Engineer")
    assert_fits(page, "weekly-sounding-form")
    save(page)

    page.go("/dashboard/")
    row = " ".join(page.page.inner_text("#slop-tanks tr:has(td:text-matches('^17P'))").split())
    assert "1 ft 6 in" in row and "619.0 gal = 2.34 m³" in row, row
    assert yesterday.strftime("%d-%b-%Y").upper() in row, row


def test_an_engineer_records_a_bunker_delivery_and_fuel_remaining_grows(open_page):
    page = open_page()
    page.login("smith")
    remaining, _ = card(page, "fuel-remaining")
    yesterday = ship_today(page) - timedelta(days=1)
    page.go("/admin/fueltickets/bunkerdelivery/add/")
    page.page.fill("#id_delivered_on", yesterday.isoformat())
    page.page.fill("#id_started_at", "08:15")
    page.page.fill("#id_finished_at", "11:40")
    page.page.fill("#id_place", "Port Fourchon, LA")
    page.page.fill("#id_bdn_number", "BDN-20417")
    page.page.fill("#id_quantity_gallons", "6250.0")
    page.page.fill("#id_tanks", "#7 P/S")
    assert_fits(page, "bunker-form")
    save(page)
    assert "BDN-20417" in page.page.inner_text("#result_list")
    assert_fits(page, "bunker-list")

    after, note = card(page, "fuel-remaining")
    assert after == remaining + Decimal("6250.0"), note
    assert "bunkered" in note


def test_an_engineer_signs_an_entry_with_his_password_again(open_page):
    page = open_page()
    page.login("smith")
    page.go("/admin/soundings/orbentry/add/")
    page.page.select_option("#id_code", "I")
    page.page.fill("#id_text", "Browser test remark: engine room bilge wells inspected, dry.")
    save(page)
    page.page.click("text=Browser test remark")
    with page.page.expect_navigation():
        page.page.click("a:has-text('Sign this entry')")
    assert page.page.locator("input[name=password]").is_visible()
    page.page.fill("input[name=password]", "not-my-password-at-all")
    with page.page.expect_navigation():
        page.page.click("input[type=submit]")
    assert "password" in page.page.inner_text(".errorlist").lower()
    page.page.fill("input[name=password]", PASSWORD)
    assert_fits(page, "sign-entry")
    with page.page.expect_navigation():
        page.page.click("input[type=submit]")
    message = page.page.inner_text(".messagelist")
    assert "signed" in message and "J. Smith" in message, message


def start_a_hitch(page, *, day, soundings):
    page.go("/admin/fueltickets/hitchrecord/")
    with page.page.expect_navigation():
        page.page.click("text=Start a hitch: End of Hitch Sounding Form")
    assert page.page.inner_text("h1") == "End of Hitch Sounding Form: start a hitch"
    page.page.fill("#id_date", day.isoformat())
    page.page.fill("#id_location", "Port Fourchon, LA")
    for field, value in [("forward_feet", "9"), ("forward_inches", "6"), ("aft_feet", "11"), ("aft_inches", "2")]:
        page.page.fill(f"#id_draft_{field}", value)
    for n, (tank, side, feet, inches, volume) in enumerate(soundings):
        page.page.click("text=Add another fuel tank sounding")
        prefix = f"#id_tank_soundings-{n}-"
        page.page.fill(prefix + "tank_number", tank)
        page.page.select_option(prefix + "side", side)
        page.page.fill(prefix + "feet", feet)
        page.page.fill(prefix + "inches", inches)
        page.page.fill(prefix + "gallons", volume)
    total = sum(Decimal(row[4]) for row in soundings)
    page.page.fill("#id_total_fuel_gallons", str(total))
    page.page.fill("#id_lube_oil_15p", "120.0")
    page.page.fill("#id_hyd_oil_16s", "64.5")
    assert_fits(page, "hitch-form")
    save(page)
    return total


def test_the_chief_starts_a_hitch_and_downloads_its_handover_package(open_page, tmp_path):
    page = open_page()
    page.login("chief")
    day = ship_today(page) - timedelta(days=20)
    soundings = [
        ("9", "port", "6", "3", "4410.5"),
        ("9", "stbd", "6", "2", "4388.0"),
        ("18", "port", "3", "0", "955.0"),
    ]
    total = start_a_hitch(page, day=day, soundings=soundings)
    _, note = card(page, "fuel-remaining")
    assert f"Baseline {total:,} gal on {day.strftime('%d-%b-%Y').upper()}" in note, note

    page.go("/admin/fueltickets/hitchrecord/")
    with page.page.expect_navigation():
        page.page.click(f"text={day.strftime('%d-%b-%Y').upper()}")
    assert_fits(page, "hitch-record")
    page.page.set_viewport_size({"width": 800, "height": 900})  # the tablet: buttons under the subtitle, not over it
    tools = page.page.locator("ul.object-tools").bounding_box()
    subtitle = page.page.locator("#content > h2").bounding_box()
    assert tools["y"] >= subtitle["y"] + subtitle["height"], (tools, subtitle)
    page.page.set_viewport_size({"width": 1280, "height": 800})
    files = {}
    for label in ["Handover PDF", "Handover workbook (.xlsx)", "Both files (.zip)"]:
        with page.page.expect_download() as info:
            page.page.click(f"a.handoverlink:has-text('{label}')")
        download = info.value
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        files[target.suffix] = target.read_bytes()

    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(files[".pdf"])).pages)
    assert "Hitch handover" in pdf_text and "End of Hitch Sounding Form" in pdf_text
    assert f"{total:,}" in pdf_text and "4,410.5" in pdf_text and "Port Fourchon, LA" in pdf_text
    book = load_workbook(io.BytesIO(files[".xlsx"]))
    figures = {row[0]: row[2] for row in book["Reconciliation"].iter_rows(min_row=2, values_only=True)}
    burned = sum(Decimal(str(row[3])) for row in book["Fuel tickets"].iter_rows(min_row=2, values_only=True))
    bunkered = sum(Decimal(str(row[4])) for row in book["Bunker deliveries"].iter_rows(min_row=2, values_only=True))
    assert Decimal(str(figures["Opening soundings (hitch form)"])) == total
    assert Decimal(str(figures["Expected on board"])) == total - burned + bunkered
    with zipfile.ZipFile(io.BytesIO(files[".zip"])) as archive:
        assert sorted(name.rsplit(".", 1)[1] for name in archive.namelist()) == ["pdf", "xlsx"]
