"""The images of docs/ENGINEERS.md (issue 15): the dashboard, the fuel ticket form, a hitch record's
page with its handover downloads and the first page of the handover PDF, written small into
``<artifacts>/guide`` (guide_images.py) to be looked at and copied into docs/img/ by hand."""

from datetime import date, timedelta

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.guide_images import MAX_BYTES, first_pdf_page, small_png

pytestmark = pytest.mark.browser
GUIDE = ARTIFACTS / "guide"


def bottom_of(page, selector, *, margin=12):
    box = page.page.locator(selector).first.bounding_box()
    return int(box["y"] + box["height"] + margin)


def test_the_engineers_guide_images(open_page):
    chief, engineer = open_page(), open_page()
    engineer.login("smith")
    chief.login("chief")
    sizes = {}

    chief.go("/dashboard/")
    shot = chief.page.screenshot(full_page=True)
    crop = (0, 0, 1280, bottom_of(chief, "#consumption-chart"))
    sizes["dashboard"] = small_png(shot, target=GUIDE / "dashboard.png", crop=crop, width=1100)

    engineer.go("/admin/fueltickets/dailyfuelticket/add/")
    today = date.fromisoformat(engineer.page.input_value("#id_ticket_date"))
    shot = engineer.page.screenshot(full_page=True)
    crop = (0, 0, 1280, bottom_of(engineer, ".submit-row"))
    sizes["ticket-form"] = small_png(shot, target=GUIDE / "ticket-form.png", crop=crop, width=1100)

    chief.go("/admin/fueltickets/hitchrecord/")
    with chief.page.expect_navigation():
        chief.page.click(f"text={(today - timedelta(days=30)).strftime('%d-%b-%Y').upper()}")
    shot = chief.page.screenshot(full_page=True)
    crop = (0, 0, 1280, bottom_of(chief, "fieldset"))
    sizes["handover-admin"] = small_png(shot, target=GUIDE / "handover-admin.png", crop=crop, width=1100)
    with chief.page.expect_download() as info:
        chief.page.click("a.handoverlink:has-text('Handover PDF')")
    info.value.save_as(GUIDE / "handover.pdf")
    pdf = (GUIDE / "handover.pdf").read_bytes()
    summary = (0, 40, 10_000, 400)  # the summary's heading and reconciliation (A4 at scale 1.4 is 833 x 1179)
    sizes["handover-pdf"] = small_png(first_pdf_page(pdf), target=GUIDE / "handover-pdf.png", crop=summary)

    assert all(0 < size < MAX_BYTES for size in sizes.values()), sizes
