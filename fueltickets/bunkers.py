"""A bunker delivery's Oil Record Book entry, Code H (MARPOL Annex I, Part I):

- 26.1 place of bunkering;
- 26.2 time of bunkering (started, finished; ship's time);
- 26.3 type and quantity of fuel oil and identity of the tanks: the quantity added in m³ (two
  decimals, from the gallons on the delivery note) and, when sounded, the tanks' total content.

The lines are written as draft soundings.models.OrbEntry rows, linked to the delivery through
fueltickets.models.BunkerEntry, and signed like any other entry. While they are drafts, changing
the delivery rewrites them; once one is signed the delivery can no longer change.
"""

from datetime import UTC, datetime

from fueltickets.quantities import format_gallons, format_gallons_as_m3
from orb.shiptime import format_ship_date, offset_at

CODE = "H"


def instant_of(bunker):
    """The UTC instant the bunkering finished (its date and time are the ship's)."""
    local = datetime.combine(bunker.delivered_on, bunker.finished_at)
    offset = offset_at(local.replace(tzinfo=UTC))  # the offset in force then (near enough: it changes by the hour)
    return (local - offset).replace(tzinfo=UTC)


def entry_lines(bunker):
    """[(item, text)] of the delivery's Code H entry."""
    day = format_ship_date(bunker.delivered_on)
    quantity = (
        f"{bunker.fuel_type}: {format_gallons_as_m3(bunker.quantity_gallons)} "
        f"({format_gallons(bunker.quantity_gallons)}) received into {bunker.tanks}, BDN {bunker.bdn_number}"
    )
    if bunker.tanks_total_gallons is not None:
        quantity += f"; total content of those tanks {format_gallons_as_m3(bunker.tanks_total_gallons)}"
    return [
        ("26.1", bunker.place),
        ("26.2", f"{day}: started {bunker.started_at:%H:%M}, finished {bunker.finished_at:%H:%M} (ship's time)"),
        ("26.3", quantity + "."),
    ]


def _officer_rank(user):
    profile = getattr(user, "profile", None) if user is not None else None
    return profile.rank if profile is not None else ""


def write_entries(bunker):
    """Make the delivery's draft entries say what the delivery says (nothing to do when they do)."""
    from fueltickets.models import BunkerEntry
    from soundings.models import OrbEntry

    instant = instant_of(bunker)
    wanted = entry_lines(bunker)
    drafts = list(bunker.entries.filter(state="draft").order_by("item", "id"))
    if [(e.item, e.text, e.instant, e.officer_name) for e in drafts] == [
        (item, text, instant, bunker.engineer_name) for item, text in wanted
    ]:
        return drafts
    for entry in drafts:
        entry.discard(user=bunker.created_by)
    entries = []
    for item, text in wanted:
        entry = OrbEntry(
            instant=instant,
            code=CODE,
            item=item,
            text=text,
            officer_name=bunker.engineer_name,
            officer_rank=_officer_rank(bunker.created_by),
            created_by=bunker.created_by,
        )
        entry.save()
        BunkerEntry.objects.create(bunker=bunker, entry=entry)
        entries.append(entry)
    return entries
