import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fueltickets.models import DailyFuelTicket, HitchRecord
from orb.chart import bar_chart
from orb.dashboard import dashboard_data
from tests.conftest import at, record_sounding, sign_all

TODAY = date(2025, 3, 16)


def add_ticket(day, gallons, pair):
    DailyFuelTicket.objects.create(
        ticket_date=day,
        meter_start=Decimal("0"),
        meter_end=Decimal(gallons),
        consumption_gallons=Decimal(gallons),
        service_tank_pair=pair,
        engineer_name="x",
    )


@pytest.fixture
def known_data(active_pair, tanks):
    HitchRecord.objects.create(
        vessel="Arrowhead", date=date(2025, 3, 10), total_fuel_gallons=Decimal("10000"), engineer_name="C"
    )
    for day, gallons in [(1, 999), (10, 500), (11, 100), (12, 200), (14, 300), (16, 150)]:
        add_ticket(date(2025, 3, day), gallons, active_pair)
    record_sounding(tanks["17P"], feet=1, inches=6, when=at(2025, 3, 9, 10))
    record_sounding(tanks["17P"], feet=2, inches=0, when=at(2025, 3, 16, 10))


def test_numbers_on_a_known_data_set(known_data, active_pair):
    data = dashboard_data(today=TODAY)
    # The baseline day's (10 MAR) ticket is not counted: 100 + 200 + 300 + 150.
    assert data.consumed_since_baseline == Decimal("750")
    assert data.fuel_remaining == Decimal("9250")
    assert data.today_consumption == Decimal("150")
    # 10..16 MAR = 500 + 100 + 200 + 300 + 150 = 1250 over 7 calendar days.
    assert data.week_consumption == Decimal("1250")
    assert data.average_per_day == Decimal("178.6")
    assert data.days_left == Decimal("51.8")
    assert data.active_pair == active_pair
    latest = {s.tank.designation: s.sounding for s in data.slop_tanks}
    assert latest["17P"].gallons == Decimal("950.00")
    assert latest["17S"] is None
    assert len(data.daily) == 30 and data.daily[-1] == (TODAY, Decimal("150"))
    assert data.daily[-2] == (date(2025, 3, 15), Decimal("0"))


def test_no_baseline_no_tickets(db):
    data = dashboard_data(today=TODAY)
    assert data.fuel_remaining is None and data.days_left is None
    assert data.today_consumption == 0 and data.average_per_day == 0
    assert data.active_pair is None


def test_query_count_does_not_grow_with_tickets(known_data, active_pair):
    with CaptureQueriesContext(connection) as few:
        dashboard_data(today=TODAY)
    for n in range(60):
        add_ticket(TODAY - timedelta(days=n % 40), 10, active_pair)
    with CaptureQueriesContext(connection) as many:
        dashboard_data(today=TODAY)
    assert len(few) == len(many) <= 9 + 4  # the book's state: entries, page signatures, migrations, triggers


def test_login_required(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_root_redirects_to_dashboard(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_page_states_rules_and_draws_the_chart(client, make_user, known_data, active_pair):
    client.force_login(make_user("viewer", group="Viewer"))
    today = timezone.localdate()
    add_ticket(today, 42, active_pair)
    html = client.get(reverse("dashboard")).content.decode()
    assert "The baseline day's own ticket is not counted" in html
    assert "divided by 7" in html
    assert "#13 P/S" in html
    assert '<svg id="consumption-chart"' in html and "<rect" in html
    assert "cdn" not in html.lower() and "<script" not in html
    assert "17P Oily Water Tank" in html and "950.00 gal = 3.60 m³" in html


def test_chart_geometry():
    chart = bar_chart(series=[(date(2025, 3, 1), Decimal("50")), (date(2025, 3, 2), Decimal("100"))], height=240)
    assert chart.maximum == 100
    full, half = chart.bars[1], chart.bars[0]
    assert full.height == pytest.approx(200) and half.height == pytest.approx(100)
    assert full.y + full.height == pytest.approx(chart.bottom)


def test_orb_book_prints_marpol_columns(client, make_user, officer, tanks):
    sounding = record_sounding(tanks["17S"], feet=1, inches=6, when=at(2025, 3, 16, 10))
    client.force_login(make_user("viewer", group="Viewer"))
    assert "No signed entries yet" in client.get(reverse("orb_book")).content.decode()  # drafts are not the book
    sign_all(sounding.entries.all(), officer)
    html = re.sub(r">\s+<", "><", client.get(reverse("orb_book")).content.decode())
    assert "<th>Date</th>" in html and "Record of operations" in html
    assert "<td>16-MAR-2025</td><td>C</td><td>11.3</td><td>2.34 m³" in html
    assert "signed: J. Smith, 2nd Engineer, " in html and "<del>" not in html


def test_dashboard_shows_the_state_of_the_book(client, make_user, officer, tanks):
    sign_all(record_sounding(tanks["17S"], feet=1, inches=6).entries.all(), officer)
    client.force_login(make_user("viewer", group="Viewer"))
    html = client.get(reverse("dashboard")).content.decode()
    assert "Oil Record Book: The book is intact: 3 signed entries" in html


def test_orb_book_needs_view_permission(client, make_user):
    client.force_login(make_user("nobody"))
    assert client.get(reverse("orb_book")).status_code == 403
