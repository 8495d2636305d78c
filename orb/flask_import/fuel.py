"""service_tank_config and daily_fuel_tickets.

Pairs keep their activation and deactivation times. This database allows one active pair: an
old pair still open is imported active only when it is the last one activated and the database
has no active pair of its own; any other open pair is skipped with the reason (closing it at a
time the old file does not hold would be a guess).

A ticket keeps its date, meter readings, engineer and notes, and points at the pair of its
label active on its date (else the latest of that label activated before it, else any of that
label). The model's rules run on it: a second ticket on a day, a meter start that is not the
previous end, an old consumption that is not end minus start are imported as recorded and
flagged; meter end below start is refused by the database's constraint and skipped.
"""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings

from fueltickets.models import DailyFuelTicket, ServiceTankPair

from . import values
from .saving import problems, store


def import_pairs(job):
    open_pairs = []
    for row in job.rows("service_tank_config", order_by="activated_at, id"):
        pair = _pair(row)
        if pair is None:
            continue
        if pair.deactivated_at is None:
            open_pairs.append((row, pair))
            continue
        reason = store(pair, row, made=job.report.made)
        if reason:
            row.skip(reason)
    _open_pairs(job, open_pairs)


def _pair(row):
    v = row.old_values
    try:
        label = values.column(v, "tank_pair", values.text).strip()
        activated, deactivated = (
            values.column(v, "activated_at", values.instant),
            values.column(v, "deactivated_at", values.instant),
        )
        notes = values.column(v, "notes", values.text)
    except values.BadValue as exc:
        row.skip(str(exc))
        return None
    if not label or activated is None:
        row.skip("it has no tank pair or no activation time")
        return None
    return ServiceTankPair(label=label, activated_at=activated, deactivated_at=deactivated, notes=notes)


def _open_pairs(job, open_pairs):
    """The last pair activated may stay active; every other open pair is skipped, saying why."""
    active = ServiceTankPair.objects.active().first()
    for index, (row, pair) in enumerate(open_pairs):
        if index < len(open_pairs) - 1:
            later = open_pairs[-1][1]
            row.skip(
                f"#{pair.label} is still open in the old file although #{later.label} was activated after it, "
                "and only one pair can be active; it was not closed at a time the file does not hold"
            )
        elif active is not None:
            row.skip(f"#{pair.label} is open in the old file, but {active} is already active in this database")
        else:
            reason = store(pair, row, made=job.report.made)
            if reason:
                row.skip(reason)


def import_tickets(job):
    pairs = list(ServiceTankPair.objects.order_by("activated_at", "id"))
    for row in job.rows("daily_fuel_tickets", order_by="ticket_date, id"):
        ticket = _ticket(job, row, pairs=pairs)
        if ticket is None:
            continue
        flags = problems(ticket, exclude=("consumption_gallons",))
        ticket.consumption_gallons = ticket.meter_end - ticket.meter_start
        try:
            old = values.column(row.old_values, "consumption_gallons", values.decimal, places=1)
        except values.BadValue as exc:
            old = None
            flags.append(f"{exc}; end minus start is stored")
        if old is not None and old != ticket.consumption_gallons:
            flags.append(
                f"the old tool recorded {old} gal burned; end minus start is {ticket.consumption_gallons} gal, "
                "which is stored"
            )
        reason = store(ticket, row, made=job.report.made)
        if reason:
            row.skip(reason)
            continue
        for flag in flags:
            row.flag(flag)


def _ticket(job, row, *, pairs):
    v = row.old_values
    try:
        day = values.column(v, "ticket_date", values.day)
        start, end = (
            values.column(v, "meter_start", values.decimal, places=1),
            values.column(v, "meter_end", values.decimal, places=1),
        )
        label, name, notes = (
            values.column(v, "service_tank_pair", values.text).strip(),
            values.column(v, "engineer_name", values.text),
            values.column(v, "notes", values.text),
        )
    except values.BadValue as exc:
        row.skip(str(exc))
        return None
    if day is None or start is None or end is None:
        row.skip("it has no date, meter start or meter end")
        return None
    pair = _pair_on(pairs, label=label.lstrip("#").split()[0] if label else "", day=day)
    if pair is None:
        row.skip(f"no service tank pair {label!r} in the old file or this database to book it against")
        return None
    return DailyFuelTicket(
        ticket_date=day, meter_start=start, meter_end=end, service_tank_pair=pair, engineer_name=name, notes=notes
    )


def _pair_on(pairs, *, label, day):
    """The pair ``label`` active on ``day``, else the latest of that label activated by then, else any."""
    end_of_day = datetime.combine(day, time.max, ZoneInfo(settings.TIME_ZONE))
    same = [p for p in pairs if p.label == label]
    active = [
        p for p in same if p.activated_at <= end_of_day and (p.deactivated_at is None or p.deactivated_at >= end_of_day)
    ]
    earlier = [p for p in same if p.activated_at <= end_of_day]
    return (active or earlier or same or [None])[-1]
