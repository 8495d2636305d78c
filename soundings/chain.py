"""The hash chain of the book: tamper evidence for signed entries.

Each signed entry stores ``signed_content`` (``canonical(entry)`` when it was signed) and
``entry_hash`` = SHA-256 over the previous signed entry's hash and that content, in signing
order (``sequence`` 1, 2, 3 …; one chain per book). Changing a signed entry's fields, its
stored content or hash, deleting one, or re-ordering them breaks the chain from there on;
forging it again needs every later hash, and the chain head printed on each signed page
(PageSignature.chain_head) would still differ. ``verify_book`` walks the chain.

The canonical form is version 1 forever (the legacy data migration hashed with it too):
a change would be a version 2 written only for entries signed after it.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC

VERSION = 1
GENESIS = ""  # the "previous hash" of the first entry


def _instant(value):
    return value.astimezone(UTC).isoformat(timespec="microseconds") if value is not None else None


def content(entry):
    """The fields that make the entry, as plain values (dict)."""
    return {
        "v": VERSION,
        "sequence": entry.sequence,
        "code": entry.code,
        "item": entry.item,
        "text": entry.text,
        "instant": _instant(entry.instant),
        "ship_offset_minutes": entry.ship_offset_minutes,
        "entry_date": entry.entry_date.isoformat() if entry.entry_date else None,
        "signer_name": entry.signer_name,
        "signer_rank": entry.signer_rank,
        "signed_at": _instant(entry.signed_at),
        "signed_offset_minutes": entry.signed_offset_minutes,
        "corrects": entry.corrects_id,
        "correction_reason": entry.correction_reason,
        "is_late": entry.is_late,
        "legacy": entry.legacy,
    }


def canonical(entry):
    """Stable JSON of ``content(entry)``: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(content(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(prev, signed_content):
    return hashlib.sha256(f"{prev}\n{signed_content}".encode()).hexdigest()


def entry_hash(entry, prev):
    """The entry's hash after ``prev`` (the previous signed entry's hash, "" for the first)."""
    return digest(prev or GENESIS, canonical(entry))


@dataclass
class Result:
    ok: bool
    first_broken_entry: object = None  # the OrbEntry (or None when the break is not one row)
    what_differs: str = ""
    head: str = GENESIS  # the last good hash (the chain head when ok)
    entries: int = 0
    broken_sequence: int | None = None
    differing_fields: list = field(default_factory=list)

    def as_dict(self):
        entry = self.first_broken_entry
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head": self.head,
            "broken_sequence": self.broken_sequence,
            "first_broken_entry": None
            if entry is None
            else {
                "id": entry.pk,
                "sequence": entry.sequence,
                "entry_date": str(entry.entry_date),
                "code": entry.code,
                "item": entry.item,
            },
            "what_differs": self.what_differs,
            "differing_fields": self.differing_fields,
        }


def _changed_fields(entry):
    try:
        signed = json.loads(entry.signed_content)
    except (TypeError, ValueError):
        return ["signed_content"]
    now = content(entry)
    return sorted(key for key in set(signed) | set(now) if signed.get(key) != now.get(key))


def _broken(entry, sequence, head, count, what, fields=()):
    return Result(
        ok=False,
        first_broken_entry=entry,
        what_differs=what,
        head=head,
        entries=count,
        broken_sequence=sequence,
        differing_fields=list(fields),
    )


def verify_book(using="default"):
    """Walk the chain in sequence order; the first entry that breaks it and what differs."""
    from soundings.models import OrbEntry, PageSignature

    head, count, expected = GENESIS, 0, 1
    heads = {}
    entries = OrbEntry._base_manager.using(using).exclude(sequence=None).order_by("sequence")
    for entry in entries.iterator(chunk_size=500):
        if entry.sequence != expected:
            return _broken(
                entry,
                expected,
                head,
                count,
                f"entry {expected} is missing (the next signed entry is {entry.sequence}): "
                "a signed entry was deleted or its sequence changed",
            )
        if entry.state != "signed":
            return _broken(
                entry,
                entry.sequence,
                head,
                count,
                f"entry {entry.sequence} (id {entry.pk}) is no longer in state signed",
            )
        fields = _changed_fields(entry)
        if fields:
            return _broken(
                entry,
                entry.sequence,
                head,
                count,
                f"entry {entry.sequence} (id {entry.pk}) differs from what was signed in: " + ", ".join(fields),
                fields,
            )
        if digest(head, entry.signed_content) != entry.entry_hash:
            return _broken(
                entry,
                entry.sequence,
                head,
                count,
                f"entry {entry.sequence} (id {entry.pk}): its stored hash does not match its "
                "signed content and the previous entry's hash",
                ["entry_hash"],
            )
        head = entry.entry_hash
        heads[entry.sequence] = head
        count += 1
        expected += 1
    for page in PageSignature._base_manager.using(using).order_by("page_number"):
        if heads.get(page.last_sequence) != page.chain_head:
            entry = OrbEntry._base_manager.using(using).filter(sequence=page.last_sequence).first()
            return _broken(
                entry,
                page.last_sequence,
                head,
                count,
                f"page {page.page_number}'s signed chain head differs from entry "
                f"{page.last_sequence}'s hash (or that entry is gone)",
                ["chain_head"],
            )
    return Result(ok=True, head=head, entries=count)


def check_for_migration(using="default"):
    """safe_migrate's book check (settings.ORB_BOOK_CHECK), run inside the migration's
    transaction: None when the chain verifies, else one sentence naming the first broken entry."""
    result = verify_book(using)
    if result.ok:
        return None
    return f"the ORB hash chain breaks at signed entry {result.broken_sequence}: {result.what_differs}"


def signed_entries(using="default"):
    """{sequence: "signed ORB entry N (date, code item)"} of the signed entries: safe_migrate
    --restore compares the live book's with a backup's (settings.ORB_BOOK_SIGNED_ENTRIES). Reads
    only the columns it names, so a backup of an older schema with a sequence column is read too."""
    from soundings.models import OrbEntry

    rows = OrbEntry._base_manager.using(using).exclude(sequence=None)
    return {
        sequence: f"signed ORB entry {sequence} ({entry_date}, {code} {item})".replace(" )", ")")
        for sequence, entry_date, code, item in rows.values_list("sequence", "entry_date", "code", "item")
    }


def book_state(using="default"):
    """The book's state for verify_orb and the dashboard: {"ok", "chain": Result.as_dict(),
    "missing_triggers": [...], "summary": one sentence}."""
    from django.db import connections

    from soundings import guards

    result = verify_book(using)
    missing = guards.missing(connections[using])
    if not result.ok:
        summary = f"The book is broken at entry {result.broken_sequence}: {result.what_differs}."
    else:
        summary = f"The book is intact: {result.entries} signed entries, chain head {result.head or '(none)'}."
    if missing:
        summary += f" Append-only triggers missing: {', '.join(missing)} (run manage.py safe_migrate to put them back)."
    return {
        "ok": result.ok and not missing,
        "intact": result.ok,
        "chain": result.as_dict(),
        "missing_triggers": missing,
        "summary": summary,
    }
