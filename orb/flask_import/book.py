"""orb_entries: the old book, kept verbatim, appended to this book's hash chain.

Each old entry becomes a signed entry marked ``legacy`` (as the entries written before signing
existed, soundings 0004): its text, code and date exactly as the old tool wrote them, no item
number (the old tool kept items in the text), in the old book's order (date, then id). Nobody
logged in signed it, and it is not re-signed (the paper book holds the signatures): the signer
is the engineer of the old sounding it belongs to where there is one (else left empty),
``signed_at`` the old ``created_at``. Each gets the next sequence and its place in the chain
(``soundings.chain.canonical``/``digest``), and a ``create`` line in the audit trail naming the
file and old id; the provenance row keeps the old id.

The imported entries go before every entry made in this project, so a book that already holds
such signed entries is refused: the import would have to renumber signed entries, which is
never done. Code I entries the old tool wrote with Part II item numbers ("34.1") are kept as
written and listed in the report.
"""

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings

from orb.shiptime import offset_at
from soundings import audit, chain
from soundings.models import OrbEntry

from . import provenance, values
from .saving import store

PART_II_ITEM = re.compile(r"(?<![\d.])34\.\d")


def refusal(old):
    """One sentence when ``old`` (the old file) has entries and the book holds signed entries not
    imported from the Flask tool, else None."""
    if not old.count("orb_entries"):
        return None  # nothing goes into the book
    signed = set(OrbEntry._base_manager.filter(state="signed").values_list("pk", flat=True))
    own = signed - provenance.imported_entry_ids()
    if own:
        return (
            f"the book already holds {len(own)} signed entries made in this project, and the old entries "
            "would have to go before them, renumbering signed entries (never done); import the old file "
            "into the database before the first entry is signed (see docs/MOVING_FROM_FLASK.md)"
        )
    result = chain.verify_book()
    if not result.ok:
        return (
            f"the book does not verify ({result.what_differs}), so nothing is appended to it; run manage.py verify_orb"
        )
    return None


def import_entries(job):
    why = refusal(job.old)
    if why:
        raise job.refusal(why)
    result = chain.verify_book()
    job.chain_head, job.sequence = result.head, result.entries
    part_two = []
    for row in job.rows("orb_entries", order_by="entry_date, id"):
        entry = _entry(job, row)
        if entry is None:
            continue
        if entry.code == "I" and PART_II_ITEM.search(entry.text):
            part_two.append(row.old_id)
        _sign_and_store(job, row, entry=entry)
    if part_two:
        job.report.notes.append(
            f"{len(part_two)} Code I entries were written by the old tool with Part II item numbers (34.x); "
            "they are kept verbatim as history (old ids " + ", ".join(map(str, part_two[:20]))
            + (" …" if len(part_two) > 20 else "") + ")."
        )  # fmt: skip


def _entry(job, row):
    v = row.old_values
    try:
        day, created = values.column(v, "entry_date", values.day), values.column(v, "created_at", values.instant)
        code, text = values.column(v, "code", values.text), values.column(v, "entry_text", values.text)
    except values.BadValue as exc:
        row.skip(str(exc))
        return None
    if day is None:
        row.skip("it has no entry_date; an entry cannot be placed in the book without its date")
        return None
    if not code.strip():
        row.skip("it has no code")
        return None
    if code not in OrbEntry.Code.values:
        row.flag(f"code {code!r} is not a MARPOL Part I code (kept as written)")
    if not text.strip():
        row.flag("its text is empty (kept as written)")
    sounding = _sounding_for(job, row, code=code)
    instant = sounding.recorded_at if sounding else _midnight(day)
    if created is None:
        row.flag("no created_at in the old file: signed_at is the entry's time")
    entry = OrbEntry(entry_date=day, instant=instant, code=code, item="", text=text, sounding=sounding)
    entry.officer_name = entry.signer_name = sounding.engineer_name if sounding else ""
    entry.officer_rank = entry.signer_rank = sounding.engineer_title if sounding else ""
    entry.signed_at = created or instant
    return entry


def _sounding_for(job, row, *, code):
    """The new sounding of the tank whose ORB code is the entry's (C: the sludge tank, I: the
    bilge holding tank) made from the old sounding the entry points at, if any."""
    try:
        old_id = values.column(row.old_values, "sounding_id", values.integer)
    except values.BadValue as exc:
        row.flag(f"{exc}; not linked to a sounding")
        return None
    if old_id is None:
        return None
    made = job.mapped("weekly_soundings", old_id) or []
    made = [m for m in made if not isinstance(m, tuple)] or _earlier_soundings(made)
    match = [s for s in made if s.tank.orb_code == code]
    if not match:
        row.flag(f"its sounding (old id {old_id}) has no imported sounding of a Code {code} tank; not linked")
    return match[0] if match else None


def _earlier_soundings(labels):
    from soundings.models import WeeklySounding

    pks = [int(pk) for label, pk in labels if label == "soundings.weeklysounding"]
    return list(WeeklySounding._base_manager.filter(pk__in=pks).select_related("tank"))


def _midnight(day):
    return datetime.combine(day, time(0), ZoneInfo(settings.TIME_ZONE))


def _minutes(instant):
    return int(offset_at(instant).total_seconds() // 60)


def _sign_and_store(job, row, *, entry):
    entry.ship_offset_minutes = _minutes(entry.instant)
    entry.signed_offset_minutes = _minutes(entry.signed_at)
    entry.state, entry.legacy = OrbEntry.State.SIGNED, True
    entry.sequence = job.sequence + 1
    entry.signed_content = chain.canonical(entry)
    entry.entry_hash = chain.digest(job.chain_head, entry.signed_content)
    refused = store(entry, row, made=job.report.made)
    if refused:
        row.skip(refused)
        return
    job.sequence, job.chain_head = entry.sequence, entry.entry_hash
    audit.record(
        audit.CREATE,
        entry,
        new=audit.snapshot(entry),
        note=f"imported from the Flask tool: {job.old.path} (sha256 {job.old.sha256[:12]}…), "
        f"orb_entries id {row.old_id}",
    )
    job.report.made["soundings.auditevent"] += 1
