"""The book as CSV: one row per signed entry, every field, its signature, its correction links,
its page and the page's Master signature.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return) as a formula,
so such a cell gets a leading apostrophe: shown as text, never run (the text stays readable; the
hash chain is over the database's values, not this file's). UTF-8 with a byte order mark, so
that a spreadsheet shows m³ right.
"""

import csv
import io
from datetime import timedelta, timezone

from django.core.exceptions import ObjectDoesNotExist

from orb.shiptime import format_offset, format_ship_date

COLUMNS = [
    "page",
    "sequence",
    "entry_date",
    "code",
    "item",
    "text",
    "late_entry",
    "time_of_operation_ship",
    "time_of_operation_utc",
    "officer_as_typed",
    "signer_name",
    "signer_rank",
    "signed_at_utc",
    "signature",
    "legacy",
    "corrects_sequence",
    "correction_reason",
    "corrected_by_sequence",
    "struck_through",
    "reviewed_by",
    "reviewed_at_utc",
    "entry_hash",
    "page_master_signature",
    "page_signed_at_utc",
    "page_chain_head",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell as text; one a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _utc(instant):
    return instant.isoformat(timespec="seconds") if instant else ""


def _ship_time(entry):
    """16-MAR-2025 20:30 (UTC-06:00): the operation's time with the offset stored on the entry."""
    offset = timedelta(minutes=entry.ship_offset_minutes)
    local = entry.instant.astimezone(timezone(offset))
    return f"{format_ship_date(local.date())} {local:%H:%M} ({format_offset(offset)})"


def _review(entry):
    try:
        review = entry.review_record
    except ObjectDoesNotExist:
        return "", ""
    return f"{review.reviewer_name}, {review.reviewer_rank}", _utc(review.reviewed_at)


def row(page, entry, *, corrected_by):
    fix = corrected_by.get(entry.pk)
    wrong = entry.corrects if entry.corrects_id else None
    reviewer, reviewed_at = _review(entry)
    sig = page.signature
    return {
        "page": page.number,
        "sequence": entry.sequence,
        "entry_date": format_ship_date(entry.entry_date),
        "code": entry.code,
        "item": entry.item,
        "text": entry.text,
        "late_entry": "yes" if entry.is_late else "no",
        "time_of_operation_ship": _ship_time(entry),
        "time_of_operation_utc": _utc(entry.instant),
        "officer_as_typed": ", ".join(p for p in (entry.officer_name, entry.officer_rank) if p),
        "signer_name": entry.signer_name,
        "signer_rank": entry.signer_rank,
        "signed_at_utc": _utc(entry.signed_at),
        "signature": entry.signature_line,
        "legacy": "yes" if entry.legacy else "no",
        "corrects_sequence": wrong.sequence if wrong else "",
        "correction_reason": entry.correction_reason,
        "corrected_by_sequence": fix.sequence if fix else "",
        "struck_through": "yes" if fix else "no",
        "reviewed_by": reviewer,
        "reviewed_at_utc": reviewed_at,
        "entry_hash": entry.entry_hash,
        "page_master_signature": page.master_signature_line,
        "page_signed_at_utc": _utc(sig.signed_at) if sig else "",
        "page_chain_head": sig.chain_head if sig else "",
    }


def render_csv(book, selection):
    """The CSV file's bytes: a header row, then one row per entry of ``selection``."""
    corrected_by = {e.corrects_id: e for page in book.pages for e in page.entries if e.corrects_id}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for page, entry in selection.entries(book):
        writer.writerow({k: neutralise(v) for k, v in row(page, entry, corrected_by=corrected_by).items()})
    return out.getvalue().encode("utf-8-sig")
