"""The fuel dashboard's numbers and alerts, from aggregate queries only.

The number of queries is constant however many tickets there are: each sum is one
aggregate over an index range of ticket_date (index ticket_date_consumption).

Rules (also stated on the page):
- Quantities are Decimal throughout; a sum is rounded to the column's one decimal as soon as
  the database returns it (SQLite's SUM of a decimal column is a float).
- Fuel remaining = the latest hitch baseline's total fuel on board, plus the bunker deliveries
  dated after the baseline date, minus the consumption of tickets dated after it. The baseline
  day's own ticket and bunkers do not count: the End of Hitch Sounding Form is taken at the end
  of that day.
- Average = the consumption of the last 7 days THAT HAVE TICKETS (up to today) divided by the
  number of those days: a day without a ticket is not counted as a day of zero burn.
- Days left = fuel remaining / that average (none when there is no burn to divide by).
- Alerts: a slop tank at or above the vessel's alert share of its capacity, no ticket for
  yesterday, days left under the vessel's threshold; and the sludge consistency warnings
  (soundings.consistency, when that module is installed) under them.
- Charts over a chosen range: daily consumption, fuel on board (the baseline carried forward
  day by day with bunkers and consumption), each slop tank's level at its soundings.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import OuterRef, Subquery, Sum

from fueltickets.models import BunkerDelivery, DailyFuelTicket, HitchRecord, ServiceTankPair
from fueltickets.quantities import format_days, format_gallons, tenth
from orb.models import VesselParticulars
from orb.shiptime import format_ship_date, ship_date
from soundings.chain import book_state
from soundings.models import Tank, WeeklySounding

AVERAGE_DAYS = 7
CHART_DAYS = 30
ONE_PLACE = Decimal("0.1")


@dataclass
class SlopTankStatus:
    tank: Tank
    sounding: WeeklySounding | None
    percent: Decimal | None = None  # of the tank's capacity, one decimal
    alert: bool = False


@dataclass
class Alert:
    kind: str  # slop-tank, no-ticket, days-left, sludge
    text: str


@dataclass
class DashboardData:
    today: date
    baseline: HitchRecord | None
    consumed_since_baseline: Decimal
    bunkered_since_baseline: Decimal
    fuel_remaining: Decimal | None
    today_consumption: Decimal
    week_consumption: Decimal  # over the ticket days below
    average_days_used: list  # [(date, gallons)] of the days averaged, newest first
    average_per_day: Decimal
    days_left: Decimal | None
    active_pair: ServiceTankPair | None
    vessel: VesselParticulars
    slop_tanks: list = field(default_factory=list)
    alerts: list = field(default_factory=list)
    sludge_warnings: list = field(default_factory=list)  # soundings.consistency, shown with its own template
    book: dict = field(default_factory=dict)  # soundings.chain.book_state(): intact / broken / triggers missing
    average_days: int = AVERAGE_DAYS

    @property
    def missing_days(self):
        """Days between the oldest averaged day and today that have no ticket (newest first)."""
        if not self.average_days_used:
            return []
        used = {d for d, _ in self.average_days_used}
        first = self.average_days_used[-1][0]
        span = (self.today - first).days + 1
        return [d for d in (self.today - timedelta(days=n) for n in range(span)) if d not in used]


def _sum(queryset, column="consumption_gallons"):
    return tenth(queryset.aggregate(total=Sum(column))["total"]) or Decimal("0.0")


def daily_consumption(*, first, last):
    """[(date, gallons)] for every calendar day first..last, zero where no ticket."""
    totals = _daily_totals(DailyFuelTicket.objects.filter(ticket_date__range=(first, last)), date_field="ticket_date")
    days = (last - first).days + 1
    return [(first + timedelta(days=n), totals.get(first + timedelta(days=n), Decimal("0.0"))) for n in range(days)]


def _daily_totals(queryset, *, date_field, column="consumption_gallons"):
    rows = queryset.order_by().values(date_field).annotate(total=Sum(column)).values_list(date_field, "total")
    return {day: tenth(total) for day, total in rows}


def last_ticket_days(*, today, count=AVERAGE_DAYS):
    """[(date, gallons)] of the last ``count`` days up to ``today`` that have tickets, newest first."""
    rows = (
        DailyFuelTicket.objects.filter(ticket_date__lte=today)
        .order_by()
        .values("ticket_date")
        .annotate(total=Sum("consumption_gallons"))
        .order_by("-ticket_date")
        .values_list("ticket_date", "total")[:count]
    )
    return [(day, tenth(total)) for day, total in rows]


def slop_tank_status(vessel):
    latest = WeeklySounding.objects.filter(tank=OuterRef("pk")).order_by("-recorded_at", "-id")
    tanks = list(Tank.objects.annotate(latest_id=Subquery(latest.values("id")[:1])))
    soundings = WeeklySounding.objects.in_bulk([t.latest_id for t in tanks if t.latest_id])
    statuses = []
    for tank in tanks:
        sounding = soundings.get(tank.latest_id)
        status = SlopTankStatus(tank=tank, sounding=sounding)
        if sounding is not None and tank.capacity_gallons:
            status.percent = (sounding.gallons * 100 / tank.capacity_gallons).quantize(ONE_PLACE, ROUND_HALF_UP)
            status.alert = status.percent >= vessel.slop_alert_percent
        statuses.append(status)
    return statuses


def fuel_position(*, today):
    """(baseline, consumed since it, bunkered since it, fuel remaining or None)."""
    baseline = HitchRecord.objects.filter(date__lte=today).order_by("-date", "-id").first()
    if baseline is None:
        return None, Decimal("0.0"), Decimal("0.0"), None
    since = {"__gt": baseline.date, "__lte": today}
    consumed = _sum(DailyFuelTicket.objects.filter(**{f"ticket_date{k}": v for k, v in since.items()}))
    bunkered = _sum(
        BunkerDelivery.objects.filter(**{f"delivered_on{k}": v for k, v in since.items()}), "quantity_gallons"
    )
    return baseline, consumed, bunkered, baseline.total_fuel_gallons + bunkered - consumed


def dashboard_data(*, today):
    vessel = VesselParticulars.current()
    baseline, consumed, bunkered, remaining = fuel_position(today=today)
    used = last_ticket_days(today=today)
    week_total = sum((g for _, g in used), Decimal("0.0"))
    average = (week_total / len(used)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP) if used else Decimal("0.0")
    days_left = None
    if remaining is not None and week_total > 0:
        days_left = (remaining * len(used) / week_total).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    data = DashboardData(
        today=today,
        baseline=baseline,
        consumed_since_baseline=consumed,
        bunkered_since_baseline=bunkered,
        fuel_remaining=remaining,
        today_consumption=_sum(DailyFuelTicket.objects.filter(ticket_date=today)),
        week_consumption=week_total,
        average_days_used=used,
        average_per_day=average,
        days_left=days_left,
        active_pair=ServiceTankPair.active_pair(),
        vessel=vessel,
        slop_tanks=slop_tank_status(vessel),
        book=book_state(),
    )
    data.alerts = alerts(data)
    data.sludge_warnings = sludge_warnings()
    return data


def alerts(data):
    """The dashboard's alerts, most urgent kinds first."""
    found = []
    for status in data.slop_tanks:
        if status.alert:
            found.append(
                Alert(
                    "slop-tank",
                    f"{status.tank} is at {status.percent} % of its capacity "
                    f"({format_gallons(status.sounding.gallons)} of {format_gallons(status.tank.capacity_gallons)}, "
                    f"sounded {format_ship_date(ship_date(status.sounding.recorded_at))}); plan a disposal "
                    f"(alert at {data.vessel.slop_alert_percent} %).",
                )
            )
    if data.days_left is not None and data.days_left < data.vessel.days_left_alert:
        found.append(
            Alert(
                "days-left",
                f"Fuel for {format_days(data.days_left)} days at the recent burn, under the "
                f"{data.vessel.days_left_alert}-day alert; plan bunkers.",
            )
        )
    yesterday = data.today - timedelta(days=1)
    if data.average_days_used and not DailyFuelTicket.objects.filter(ticket_date=yesterday).exists():
        found.append(
            Alert(
                "no-ticket",
                f"No fuel ticket for yesterday, {format_ship_date(yesterday)}; add it so fuel remaining "
                "and days left are right.",
            )
        )
    return found


def sludge_warnings():
    """soundings.consistency.sludge_warnings() when that module is installed, else none."""
    try:
        from soundings.consistency import sludge_warnings as warnings
    except ImportError:
        return []
    return list(warnings())


def fuel_on_board(*, first, last):
    """[(date, gallons or None)] for first..last: fuel on board at the end of each day, carried
    forward from the latest baseline on or before ``last``; None before that baseline."""
    baseline = HitchRecord.objects.filter(date__lte=last).order_by("-date", "-id").first()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if baseline is None:
        return [(d, None) for d in days]
    after = {"__gt": baseline.date, "__lte": last}
    burned = _daily_totals(
        DailyFuelTicket.objects.filter(**{f"ticket_date{k}": v for k, v in after.items()}), date_field="ticket_date"
    )
    received = _daily_totals(
        BunkerDelivery.objects.filter(**{f"delivered_on{k}": v for k, v in after.items()}),
        date_field="delivered_on",
        column="quantity_gallons",
    )
    level, day, series = baseline.total_fuel_gallons, baseline.date, []
    for d in days:
        while day < d:
            day += timedelta(days=1)
            level += received.get(day, 0) - burned.get(day, 0)
        series.append((d, level if d >= baseline.date else None))
    return series


def slop_tank_levels(*, first, last):
    """{tank: [(ship date, gallons)]} of every sounding in first..last (ship's dates), oldest first."""
    tanks = {t.pk: t for t in Tank.objects.all()}
    levels = {t: [] for t in tanks.values()}
    rows = (
        WeeklySounding.objects.filter(
            recorded_at__gte=_start_of(first - timedelta(days=1)), recorded_at__lt=_start_of(last + timedelta(days=2))
        )
        .order_by("recorded_at", "id")
        .values_list("tank_id", "recorded_at", "gallons")
    )
    for tank_id, instant, gallons in rows:
        day = ship_date(instant)
        if first <= day <= last:
            levels[tanks[tank_id]].append((day, gallons))
    return levels


def _start_of(day):
    """Midnight UTC of ``day`` (the query is widened by a day each side, then cut by ship's date)."""
    return datetime.combine(day, time(0), tzinfo=UTC)
