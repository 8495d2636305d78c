import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fueltickets.models import BunkerDelivery, DailyFuelTicket, HitchRecord
from orb.chart import bar_chart, line_chart
from orb.dashboard import dashboard_data, fuel_on_board
from orb.models import VesselParticulars
from orb.shiptime import ship_date
from tests.conftest import at, record_sounding, sign_all

TODAY = date(2025, 3, 16)


def add_ticket(day, gallons, pair=None):
    """A ticket that keeps the rules: its meter starts at the previous ticket's end."""
    start = DailyFuelTicket.next_meter_start(day=day) or Decimal("1000.0")
    return DailyFuelTicket.objects.create(
        ticket_date=day,
        meter_start=start,
        meter_end=start + Decimal(str(gallons)),
        service_tank_pair=pair,
        engineer_name="x",
    )


def page(client, **params):
    """The dashboard's HTML with runs of white space made one space."""
    return " ".join(client.get(reverse("dashboard"), params).content.decode().split())


def add_bunker(day, gallons):
    return BunkerDelivery.objects.create(
        delivered_on=day,
        started_at="09:00",
        finished_at="13:00",
        place="Port Fourchon",
        bdn_number=f"BDN-{day:%m%d}",
        quantity_gallons=Decimal(str(gallons)),
        tanks="#7 P/S",
        engineer_name="C. Chief",
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
    # The days that have tickets, up to 7: 16, 14, 12, 11, 10 and 1 MAR (only six exist).
    assert [d.day for d, _ in data.average_days_used] == [16, 14, 12, 11, 10, 1]
    assert data.week_consumption == Decimal("2249")
    assert data.average_per_day == Decimal("374.8")
    assert data.days_left == Decimal("24.7")  # 9250 × 6 / 2249
    assert data.active_pair == active_pair
    latest = {s.tank.designation: s.sounding for s in data.slop_tanks}
    assert latest["17P"].gallons == Decimal("950.00")
    assert latest["17S"] is None


@pytest.fixture
def about_900_a_day_today_missing(active_pair):
    """The issue's example: about 900 gal a day, no ticket yet today (16 MAR) and none on 13 MAR.
    Burning 888.8 gal a day leaves 15,300.0 gal: 17.2 days. Dividing the 5 tickets of the last 7
    calendar days by 7 (the old rule) said 24.1 days: wrong in the dangerous direction."""
    burned = Decimal("888.8")
    days = [date(2025, 3, d) for d in range(1, 16) if d != 13]
    HitchRecord.objects.create(
        vessel="Arrowhead",
        date=date(2025, 2, 28),
        total_fuel_gallons=Decimal("15300.0") + burned * len(days),
        engineer_name="C",
    )
    for day in days:
        add_ticket(day, burned, active_pair)


def test_days_left_divides_by_the_days_that_have_tickets(about_900_a_day_today_missing):
    data = dashboard_data(today=TODAY)
    assert data.fuel_remaining == Decimal("15300.0")
    assert data.average_per_day == Decimal("888.8")
    assert data.days_left == Decimal("17.2")
    assert [d.day for d, _ in data.average_days_used] == [15, 14, 12, 11, 10, 9, 8]
    assert [d.day for d in data.missing_days] == [16, 13]
    old_rule = data.fuel_remaining * 7 / sum(g for d, g in data.average_days_used if d >= TODAY - timedelta(days=6))
    assert old_rule.quantize(Decimal("0.1")) == Decimal("24.1")


def test_the_page_says_which_days_it_averaged(client, make_user, active_pair):
    today = ship_date(timezone.now())
    HitchRecord.objects.create(
        vessel="Arrowhead", date=today - timedelta(days=10), total_fuel_gallons=Decimal("20000"), engineer_name="C"
    )
    for n in (1, 2, 4):
        add_ticket(today - timedelta(days=n), 900, active_pair)
    client.force_login(make_user("viewer", group="Viewer"))
    html = page(client)
    days = [(today - timedelta(days=n)).strftime("%d-%b-%Y").upper() for n in (1, 2, 4)]
    assert f"over the last 3 days that have tickets ({days[0]}, {days[1]}, {days[2]})" in html
    assert "Days without a ticket are left out, not counted as zero:" in html
    assert (today - timedelta(days=3)).strftime("%d-%b-%Y").upper() in html
    assert '<div class="card" id="days-left"> <div>Days left</div> <div class="value">19.2</div>' in html


def test_sums_are_decimals_shown_with_separators(client, make_user, active_pair):
    """SQLite's SUM of a decimal column is a float: 15500.9 came back as 15500.90000000000."""
    today = ship_date(timezone.now())
    HitchRecord.objects.create(
        vessel="Arrowhead", date=today - timedelta(days=5), total_fuel_gallons=Decimal("31001.8"), engineer_name="C"
    )
    add_ticket(today - timedelta(days=2), Decimal("15500.8"), active_pair)
    add_ticket(today - timedelta(days=1), Decimal("0.1"), active_pair)
    data = dashboard_data(today=today)
    assert isinstance(data.fuel_remaining, Decimal) and str(data.fuel_remaining) == "15500.9"
    assert str(data.consumed_since_baseline) == "15500.9" and str(data.week_consumption) == "15500.9"
    client.force_login(make_user("viewer", group="Viewer"))
    html = client.get(reverse("dashboard")).content.decode()
    assert '<div class="value">15,500.9 gal</div>' in html
    assert "58.68 m³" in html  # 15,500.9 gal in m³, two decimals
    assert "15500.9000" not in html


def test_bunkers_after_the_baseline_add_to_fuel_remaining(active_pair, officer):
    HitchRecord.objects.create(
        vessel="Arrowhead", date=date(2025, 3, 10), total_fuel_gallons=Decimal("10000"), engineer_name="C"
    )
    add_ticket(date(2025, 3, 11), 1000, active_pair)
    add_bunker(date(2025, 3, 10), 5000)  # the baseline day: already in its soundings
    add_bunker(date(2025, 3, 12), "2500.5")
    data = dashboard_data(today=TODAY)
    assert data.bunkered_since_baseline == Decimal("2500.5")
    assert data.fuel_remaining == Decimal("11500.5")
    series = dict(fuel_on_board(first=date(2025, 3, 9), last=date(2025, 3, 13)))
    assert series[date(2025, 3, 9)] is None
    assert [series[date(2025, 3, d)] for d in (10, 11, 12, 13)] == [
        Decimal("10000"),
        Decimal("9000"),
        Decimal("11500.5"),
        Decimal("11500.5"),
    ]


def test_no_baseline_no_tickets(db):
    data = dashboard_data(today=TODAY)
    assert data.fuel_remaining is None and data.days_left is None
    assert data.today_consumption == 0 and data.average_per_day == 0
    assert data.active_pair is None and data.alerts == []


def test_query_count_does_not_grow_with_tickets(known_data, active_pair):
    with CaptureQueriesContext(connection) as few:
        dashboard_data(today=TODAY)
    DailyFuelTicket.objects.bulk_create(  # the rules do not matter here: the number of queries does
        DailyFuelTicket(
            ticket_date=TODAY - timedelta(days=n % 40),
            meter_start=0,
            meter_end=10,
            consumption_gallons=10,
            service_tank_pair=active_pair,
            engineer_name="x",
        )
        for n in range(60)
    )
    with CaptureQueriesContext(connection) as many:
        dashboard_data(today=TODAY)
    assert len(few) == len(many) <= 15 + 4  # the book's state: entries, page signatures, migrations, triggers


def test_login_required(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_root_redirects_to_dashboard(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_page_states_rules_and_draws_the_charts(client, make_user, known_data, active_pair):
    client.force_login(make_user("viewer", group="Viewer"))
    add_ticket(ship_date(timezone.now()), 42, active_pair)
    html = client.get(reverse("dashboard")).content.decode()
    assert "The baseline day's own ticket is not counted" in html
    assert "#13 P/S" in html
    assert '<svg id="consumption-chart"' in html and "<rect" in html
    assert '<svg id="fuel-chart"' in html and "<polyline" in html
    assert '<svg id="slop-chart-17P"' in html and '<svg id="slop-chart-17S"' in html
    assert "cdn" not in html.lower() and "<script" not in html
    assert "17P Oily Water Tank" in html and "950.0 gal = 3.60 m³" in html


def test_links_show_only_with_permission(client, make_user, db):
    client.force_login(make_user("viewer", group="Viewer"))
    html = client.get(reverse("dashboard")).content.decode()
    assert "Add fuel ticket" not in html and "Record bunker delivery" not in html
    client.force_login(make_user("engineer", group="Engineer"))
    html = client.get(reverse("dashboard")).content.decode()
    assert "Add fuel ticket" in html and "Record bunker delivery" in html and "Start a hitch" not in html
    client.force_login(make_user("chief", group="Chief Engineer"))
    assert "Start a hitch (End of Hitch Sounding Form)" in client.get(reverse("dashboard")).content.decode()


def test_chart_range_is_chosen_and_bad_input_explained(client, make_user, known_data):
    client.force_login(make_user("viewer", group="Viewer"))
    response = client.get(reverse("dashboard"), {"from": "2025-03-01", "to": "2025-03-16"})
    assert "Charts, 01-MAR-2025 to 16-MAR-2025" in response.content.decode()
    assert len(response.context["charts"]["consumption"].bars) == 16
    html = client.get(reverse("dashboard"), {"from": "12/02/2026"}).content.decode()
    assert "12/02/2026 could be read as 12-FEB-2026 or 02-DEC-2026" in html
    assert "Showing the last 30 days." in html
    html = client.get(reverse("dashboard"), {"from": "2025-03-10", "to": "2025-03-01"}).content.decode()
    assert "The range starts after it ends" in html


def test_chart_geometry():
    chart = bar_chart(series=[(date(2025, 3, 1), Decimal("50")), (date(2025, 3, 2), Decimal("100"))], height=240)
    assert chart.maximum == 100
    full, half = chart.bars[1], chart.bars[0]
    assert full.height == pytest.approx(200) and half.height == pytest.approx(100)
    assert full.y + full.height == pytest.approx(chart.bottom)


def test_line_chart_geometry_gaps_and_threshold():
    days = [date(2025, 3, d) for d in range(1, 6)]
    series = [(days[0], Decimal("0")), (days[1], Decimal("500")), (days[2], None), (days[4], Decimal("1000"))]
    chart = line_chart(days=days, lines=[("fuel", series)], height=240, threshold=Decimal("850"))
    line = chart.lines[0]
    assert chart.maximum == 1000 and len(line.segments) == 2  # the missing day breaks the line
    (x0, y0, _), (x1, y1, _), (x4, y4, title) = line.dots
    assert y0 == pytest.approx(chart.bottom) and y4 == pytest.approx(chart.top)
    assert y1 == pytest.approx((chart.top + chart.bottom) / 2)
    assert x4 - x0 == pytest.approx(4 * (x1 - x0))
    assert chart.threshold[0] == pytest.approx(chart.bottom - 0.85 * (chart.bottom - chart.top))
    assert title == "05-MAR-2025: 1,000.0 gal"


# --- Alerts -------------------------------------------------------------------------------------


def kinds(data):
    return [a.kind for a in data.alerts]


def test_slop_tank_alert_at_the_vessel_threshold(tanks):
    record_sounding(tanks["17S"], feet=3, inches=0, when=at(2025, 3, 15, 10))  # full: 1,607 gal
    record_sounding(tanks["17P"], feet=2, inches=0, when=at(2025, 3, 15, 10))  # 950 gal: 59.1 %
    data = dashboard_data(today=TODAY)
    assert kinds(data) == ["slop-tank"]
    assert data.alerts[0].text == (
        "17S Dirty Oil Tank is at 100.0 % of its capacity (1,607.0 gal of 1,607.0 gal, sounded 15-MAR-2025); "
        "plan a disposal (alert at 85 %)."
    )
    VesselParticulars.objects.create(name="MV Example", imo_number="9074729", slop_alert_percent=59)
    assert kinds(dashboard_data(today=TODAY)) == ["slop-tank", "slop-tank"]


def test_no_ticket_for_yesterday_and_days_left_alerts(active_pair):
    HitchRecord.objects.create(
        vessel="Arrowhead", date=date(2025, 3, 10), total_fuel_gallons=Decimal("5000"), engineer_name="C"
    )
    add_ticket(date(2025, 3, 14), 1000, active_pair)
    data = dashboard_data(today=TODAY)
    assert data.days_left == Decimal("4.0")
    assert kinds(data) == ["days-left", "no-ticket"]
    assert data.alerts[0].text == "Fuel for 4.0 days at the recent burn, under the 10-day alert; plan bunkers."
    assert data.alerts[1].text.startswith("No fuel ticket for yesterday, 15-MAR-2025;")
    add_ticket(date(2025, 3, 15), 100, active_pair)
    VesselParticulars.objects.create(name="MV Example", imo_number="9074729", days_left_alert=3)
    assert kinds(dashboard_data(today=TODAY)) == []


def test_sludge_warnings_are_shown_on_the_page(client, make_user, db, monkeypatch):
    from soundings import consistency

    class Warning:
        text = "17S Dirty Oil Tank fell 1.20 m³ between 09-MAR-2025 and 16-MAR-2025 with no 12.x entry."

    monkeypatch.setattr(consistency, "sludge_warnings", lambda: [Warning()])
    client.force_login(make_user("viewer", group="Viewer"))
    html = client.get(reverse("dashboard")).content.decode()
    assert Warning.text in html


def test_alerts_are_on_the_page(client, make_user, tanks):
    record_sounding(tanks["17S"], feet=3, inches=0, when=timezone.now() - timedelta(hours=1))
    client.force_login(make_user("viewer", group="Viewer"))
    html = client.get(reverse("dashboard")).content.decode()
    assert '<li class="alert alert-slop-tank">17S Dirty Oil Tank is at 100.0 % of its capacity' in html


def test_orb_book_prints_marpol_columns(client, make_user, officer, tanks):
    sounding = record_sounding(tanks["17S"], feet=1, inches=6, when=at(2025, 3, 16, 10))
    client.force_login(make_user("viewer", group="Viewer"))
    assert "No signed entries yet" in client.get(reverse("orb_book")).content.decode()  # drafts are not the book
    sign_all(sounding.entries.all(), officer)
    html = re.sub(r">\s+<", "><", client.get(reverse("orb_book")).content.decode())
    assert "<th>Date</th>" in html and "Record of operations" in html
    assert '<td class="date">16-MAR-2025</td><td class="code">C</td><td class="item">11.3</td>' in html
    assert "2.34 m³" in html
    assert "signed: J. Smith, 2nd Engineer, " in html and "<del>" not in html


def test_dashboard_shows_the_state_of_the_book(client, make_user, officer, tanks):
    sign_all(record_sounding(tanks["17S"], feet=1, inches=6).entries.all(), officer)
    client.force_login(make_user("viewer", group="Viewer"))
    html = client.get(reverse("dashboard")).content.decode()
    assert "Oil Record Book: The book is intact: 3 signed entries" in html


def test_orb_book_needs_view_permission(client, make_user):
    client.force_login(make_user("nobody"))
    assert client.get(reverse("orb_book")).status_code == 403
