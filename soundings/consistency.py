"""Consistency warnings on the record: a sludge tank that lost volume unexplained.

A port State control officer compares the sludge tanks' soundings with the disposals in the
book. Here: for each sludge tank (IOPP 3.1, Code C), consecutive soundings in time order; where
the volume (m³, two decimals, as the book writes it) falls from one to the next and no signed
Code C item 12 entry (12.1-12.4) for that tank lies between the two instants, one warning,
until such an entry is signed. A 12.x entry written by hand (no disposal record behind it) names
no tank in a field, so it explains a fall of any sludge tank. A re-sounding replaces the
scheduled sounding it repeats (same tank, same ship's day): a correction of a misread is not a
fall. A draft 12.x entry does not explain a fall (it is not in the book yet); the warning says one
is waiting to be signed.

The dashboard and the book view render ``sludge_warnings()`` with the template
soundings/sludge_warnings.html (context: ``warnings``).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

from django.db.models import Q

from orb.shiptime import OffsetTable, format_ship_date
from soundings.models import OrbEntry, Tank, WeeklySounding
from soundings.units import format_m3, round_m3


@dataclass(frozen=True)
class SludgeWarning:
    """One unexplained fall of a sludge tank's volume between two soundings."""

    tank: str  # the tank's designation
    tank_id: int
    earlier_id: int
    later_id: int
    earlier_at: datetime
    later_at: datetime
    earlier_m3: Decimal
    later_m3: Decimal
    fall_m3: Decimal
    draft_waiting: bool
    text: str


def _book_m3(sounding):
    return round_m3(sounding.m3)


def _readings(tank, clock):
    """The tank's soundings in time order, each re-sounding in place of the one it repeats."""
    kept = []
    for sounding in tank.soundings.order_by("recorded_at", "id"):
        if (
            sounding.kind == WeeklySounding.Kind.RESOUNDING
            and kept
            and clock.ship_date(kept[-1].recorded_at) == clock.ship_date(sounding.recorded_at)
        ):
            kept.pop()
        kept.append(sounding)
    return kept


def _disposal_instants(tank):
    """{state: [instants]} of the Code C 12.x entries that can explain a fall of ``tank``."""
    entries = OrbEntry.objects.filter(code="C", item__startswith="12.").filter(
        Q(disposal__tank=tank) | Q(disposal__isnull=True)
    )
    found = {"signed": [], "draft": []}
    for state, instant in entries.values_list("state", "instant"):
        found[state].append(instant)
    return found


def _warning(tank, *, earlier, later, draft_waiting, clock):
    high, low = _book_m3(earlier), _book_m3(later)
    fall = high - low
    since = format_ship_date(clock.ship_date(earlier.recorded_at))
    until = format_ship_date(clock.ship_date(later.recorded_at))
    waiting = " (a 12.x draft entry waits to be signed)" if draft_waiting else ""
    text = (
        f"{tank.designation} {tank.name}: the sludge fell by {format_m3(fall)} m³, from {format_m3(high)} m³ on "
        f"{since} to {format_m3(low)} m³ on {until}, with no Code C 12 disposal entry in between{waiting}; "
        "record the disposal (12.1-12.4) or explain the difference."
    )
    return SludgeWarning(
        tank=tank.designation,
        tank_id=tank.pk,
        earlier_id=earlier.pk,
        later_id=later.pk,
        earlier_at=earlier.recorded_at,
        later_at=later.recorded_at,
        earlier_m3=high,
        later_m3=low,
        fall_m3=fall,
        draft_waiting=draft_waiting,
        text=text,
    )


def tank_warnings(tank, *, clock=None):
    """The unexplained falls of one sludge tank, oldest first (``clock``: an OffsetTable to reuse)."""
    clock = clock or OffsetTable()
    instants = _disposal_instants(tank)
    warnings = []
    for earlier, later in pairwise(_readings(tank, clock)):
        if _book_m3(later) >= _book_m3(earlier):
            continue
        if any(earlier.recorded_at <= t <= later.recorded_at for t in instants["signed"]):
            continue
        waiting = any(earlier.recorded_at <= t <= later.recorded_at for t in instants["draft"])
        warnings.append(_warning(tank, earlier=earlier, later=later, draft_waiting=waiting, clock=clock))
    return warnings


def sludge_warnings():
    """Every unexplained fall of a sludge tank's volume, by tank, oldest first."""
    warnings = []
    clock = OffsetTable()  # one query for every sounding's ship date, not one per date
    for tank in Tank.objects.filter(iopp_section=Tank.IoppSection.SLUDGE).order_by("designation"):
        warnings.extend(tank_warnings(tank, clock=clock))
    return warnings
