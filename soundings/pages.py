"""The book's pages: the signed entries laid out on the MARPOL Part I form, page by page.

A page has the vessel's ``lines_per_page`` lines (VesselParticulars, 25 by default). What a line
is, so that the screen, the PDF and the paper agree:

- the Record of operations column holds ``RECORD_COLUMN_CHARS`` characters per line; an entry's
  text (with its own marks: "[LATE ENTRY]" before it, the note of what it corrects after it) is
  wrapped at word boundaries to that width, each line of text one line of the page;
- the officer's signature (``signed: J. Smith, 2nd Engineer, 16-MAR-2025``) is one more line,
  the entry's last: every entry is signed on its own;
- Date, Code and Item No. are written on the entry's first line.

So an entry takes (lines of text + 1) lines, counted from what was signed only: a correction
entered later marks the wrong entry "[struck through …]" on its signature line and never moves
a line. An entry does not fit on what is left of a page starts the next page (entries are never
split over two pages); an entry longer than a whole page has a page of its own.

Pages are numbered from 1 without a gap. A page the Master signed keeps exactly the entries he
signed (PageSignature.first_sequence to last_sequence), whatever the lines per page is later.
The entries after the last signed page are laid out afresh with today's lines per page.
"""

import textwrap
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import takewhile

from orb.shiptime import format_ship_date, format_ship_time
from soundings import chain

RECORD_COLUMN_CHARS = 64
LATE_MARK = "[LATE ENTRY]"
LEGACY_NOTE = "(recorded before electronic signatures)"


def entry_date_text(entry):
    return format_ship_date(entry.entry_date)


def record_text(entry):
    """The entry's Record of operations as the page prints it, with its own marks."""
    text = entry.text.strip()
    if entry.is_late:
        text = f"{LATE_MARK} {text}"
    if entry.corrects_id:
        wrong = entry.corrects
        text += (
            f" (Correction of entry {wrong.sequence}, {entry_date_text(wrong)} {wrong.code} {wrong.item}"
            f"; reason: {entry.correction_reason})"
        ).replace(" ;", ";")
    return text


def text_lines(entry):
    """The Record of operations wrapped to the column: a list of lines, at least one."""
    lines = []
    for paragraph in record_text(entry).splitlines():
        lines += textwrap.wrap(paragraph, width=RECORD_COLUMN_CHARS, break_on_hyphens=False)
    return lines or [""]


def lines_of(entry):
    """How many lines of the page the entry takes (its text, then its signature line)."""
    return len(text_lines(entry)) + 1


@dataclass
class Line:
    """One printed line of a page: the first line of an entry fills Date, Code and Item No."""

    entry: object = None
    date: str = ""
    code: str = ""
    item: str = ""
    text: str = ""
    signature: bool = False
    struck: bool = False
    mark: str = ""  # on a signature line: "[struck through: …]" of a corrected entry

    @property
    def blank(self):
        return self.entry is None


@dataclass
class Page:
    number: int
    entries: list = field(default_factory=list)
    signature: object = None  # the Master's PageSignature, or None
    lines_per_page: int = 25
    complete: bool = False
    lines: list = field(default_factory=list)  # Line, filled by read_book
    chain_head: str = ""
    chain_verified: bool | None = None  # None: not verified (no entries or not asked)
    chain_note: str = ""

    @property
    def first_sequence(self):
        return self.entries[0].sequence if self.entries else None

    @property
    def last_sequence(self):
        return self.entries[-1].sequence if self.entries else None

    @property
    def lines_used(self):
        return sum(lines_of(entry) for entry in self.entries)

    @property
    def blank_lines(self):
        return max(self.lines_per_page - self.lines_used, 0)

    @property
    def master_signature_line(self):
        """``signed: B. Master, Master, 16-MAR-2025`` (the ship's date of signing), or ""."""
        sig = self.signature
        if sig is None:
            return ""
        day = (sig.signed_at + timedelta(minutes=sig.signed_offset_minutes)).date()
        return f"signed: {sig.master_name}, {sig.master_rank}, {format_ship_date(day)}"

    @property
    def master_signed_time(self):
        return format_ship_time(self.signature.signed_at) if self.signature else ""


@dataclass
class Book:
    pages: list
    vessel: object
    verification: object = None  # chain.Result, when read with verify=True

    def page(self, number):
        return self.pages[number - 1] if 1 <= number <= len(self.pages) else None

    def page_of(self, entry):
        for page in self.pages:
            if page.entries and page.first_sequence <= entry.sequence <= page.last_sequence:
                return page
        return None


def lines_per_page():
    from orb.models import VesselParticulars

    return VesselParticulars.current().lines_per_page


def _signed_entries():
    from soundings.models import OrbEntry

    return list(
        OrbEntry._base_manager.exclude(sequence=None)
        .order_by("sequence")
        .select_related("corrects")
        .prefetch_related("review_record")
    )


def _fill(entries, *, per_page, first_number):
    """Pages of ``per_page`` lines from ``first_number`` on; at least one page."""
    pages = [Page(first_number, [], None, per_page)]
    used = 0
    for entry in entries:
        need = lines_of(entry)
        if pages[-1].entries and used + need > per_page:
            pages[-1].complete = True
            pages.append(Page(pages[-1].number + 1, [], None, per_page))
            used = 0
        pages[-1].entries.append(entry)
        used += need
    pages[-1].complete = used >= per_page
    return pages


def paginate(entries, signatures, *, per_page):
    """Signed pages as the Master signed them, then the rest in pages of ``per_page`` lines."""
    pages, position = [], 0
    for signature in signatures:
        on_page = list(takewhile(lambda e, last=signature.last_sequence: e.sequence <= last, entries[position:]))
        pages.append(Page(signature.page_number, on_page, signature, per_page, complete=True))
        position += len(on_page)
    rest = entries[position:]
    if rest or not pages:
        pages += _fill(rest, per_page=per_page, first_number=len(pages) + 1)
    return pages


def book_pages():
    """The book's pages (Page), without lines or verification: what signing a page needs."""
    from soundings.models import PageSignature

    return paginate(_signed_entries(), list(PageSignature.objects.order_by("page_number")), per_page=lines_per_page())


def _entry_lines(entry, *, corrected_by, page_of):
    fix = corrected_by.get(entry.pk)
    struck = fix is not None
    texts = text_lines(entry)
    first = Line(entry, entry_date_text(entry), entry.code, entry.item, texts[0], struck=struck)
    lines = [first] + [Line(entry, text=t, struck=struck) for t in texts[1:]]
    mark = ""
    if struck:
        mark = f"[struck through: corrected by entry {fix.sequence}, page {page_of(fix)}]"
    signature = entry.signature_line + (f" {LEGACY_NOTE}" if entry.legacy else "")
    lines.append(Line(entry, text=signature, signature=True, mark=mark))
    return lines


def _lay_out(pages):
    corrected_by = {e.corrects_id: e for page in pages for e in page.entries if e.corrects_id}
    number_of = {e.pk: page.number for page in pages for e in page.entries}

    def page_of(entry):
        return number_of.get(entry.pk, "?")

    for page in pages:
        page.lines = [
            line for e in page.entries for line in _entry_lines(e, corrected_by=corrected_by, page_of=page_of)
        ]
        page.lines += [Line() for _ in range(page.blank_lines)]


def _verify(pages, result):
    """Each page's chain head (its last entry's hash) and whether the chain verifies up to it."""
    for page in pages:
        if not page.entries:
            continue
        last = page.entries[-1]
        page.chain_head = last.entry_hash
        if not result.ok and last.sequence >= result.broken_sequence:
            page.chain_verified = False
            page.chain_note = f"NOT VERIFIED: the chain breaks at entry {result.broken_sequence}"
        elif page.signature is not None and page.signature.chain_head != last.entry_hash:
            page.chain_verified = False
            page.chain_note = "NOT VERIFIED: differs from the chain head the Master signed"
        else:
            page.chain_verified = True
            page.chain_note = "verified" + (", as the Master signed it" if page.signature is not None else "")


def read_book(*, verify=True):
    """The whole book: its pages with their printed lines and, with ``verify``, each page's
    chain head and verification state (soundings.chain.verify_book, one walk of the chain)."""
    from orb.models import VesselParticulars

    pages = book_pages()
    _lay_out(pages)
    result = chain.verify_book() if verify else None
    if result is not None:
        _verify(pages, result)
    return Book(pages=pages, vessel=VesselParticulars.current(), verification=result)
