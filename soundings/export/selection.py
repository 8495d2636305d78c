"""What part of the book an export holds: a date range and a code, read from what a user typed.

Dates are the ship's local dates the entries carry (``entry_date``), typed as ISO (2025-03-16)
or as the book writes them (16-MAR-2025). A selection prints WHOLE book pages: every page that
holds at least one entry in the range (and of the code), with all its lines, numbered as in the
book. The CSV holds one row per entry, so it lists the matching entries only.
"""

from dataclasses import dataclass
from datetime import date

from orb.shiptime import MONTHS, format_ship_date

FORMATS = ("pdf", "csv", "html")


class SelectionError(ValueError):
    """Bad input, in one sentence that says what to type instead."""


def parse_date(text, *, what):
    """A date typed as 2025-03-16 or 16-MAR-2025 (any case); None for an empty value."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    parts = text.upper().split("-")
    if len(parts) == 3 and parts[1] in MONTHS and parts[0].isdigit() and parts[2].isdigit() and len(parts[2]) == 4:
        try:
            return date(int(parts[2]), MONTHS.index(parts[1]) + 1, int(parts[0]))
        except ValueError:
            pass
    raise SelectionError(f"The {what} date {text!r} is not a date; write it as 2025-03-16 or 16-MAR-2025.")


def known_codes():
    from soundings.models import OrbEntry

    return list(OrbEntry.Code.values)


def parse_code(text):
    """One of the book's code letters (any case); None for an empty value."""
    code = (text or "").strip().upper()
    if not code:
        return None
    codes = known_codes()
    if code not in codes:
        raise SelectionError(f"There is no code {text.strip()!r} in the book; use one of {', '.join(codes)}.")
    return code


def parse_format(text):
    fmt = (text or "").strip().lower()
    if not fmt:
        raise SelectionError("Say which format to write: --format pdf, csv or html.")
    if fmt not in FORMATS:
        raise SelectionError(f"The format {text!r} is not one the book is exported in; use pdf, csv or html.")
    return fmt


@dataclass(frozen=True)
class Selection:
    start: date | None = None
    end: date | None = None
    code: str | None = None

    @classmethod
    def parse(cls, *, start="", end="", code=""):
        """A selection from typed text; SelectionError naming the first thing wrong."""
        chosen = cls(parse_date(start, what="start"), parse_date(end, what="end"), parse_code(code))
        if chosen.start and chosen.end and chosen.start > chosen.end:
            raise SelectionError(
                f"The range starts after it ends ({format_ship_date(chosen.start)} is after "
                f"{format_ship_date(chosen.end)}); give a start date on or before the end date."
            )
        return chosen

    def matches(self, entry):
        if self.start and entry.entry_date < self.start:
            return False
        if self.end and entry.entry_date > self.end:
            return False
        return not (self.code and entry.code != self.code)

    def pages(self, book):
        """The whole pages of ``book`` that hold a matching entry."""
        return [page for page in book.pages if any(self.matches(e) for e in page.entries)]

    def entries(self, book):
        """(page, entry) of every matching entry, in book order."""
        return [(page, e) for page in book.pages for e in page.entries if self.matches(e)]

    def describe(self):
        """'entries of code C from 01-MAR-2025 to 31-MAR-2025' (for messages and titles)."""
        words = ["entries"]
        if self.code:
            words.append(f"of code {self.code}")
        if self.start:
            words.append(f"from {format_ship_date(self.start)}")
        if self.end:
            words.append(f"to {format_ship_date(self.end)}")
        return " ".join(words) if len(words) > 1 else "the whole book"

    def file_stem(self):
        """orb-part1-2025-03-01-2025-03-31-C: a file name for a download."""
        parts = ["orb-part1"]
        parts += [d.isoformat() for d in (self.start, self.end) if d]
        if self.code:
            parts.append(self.code)
        return "-".join(parts)


def choose(book, selection):
    """The pages and entries of ``selection``; SelectionError when nothing in the book matches."""
    pages = selection.pages(book)
    if not pages:
        if selection == Selection():
            raise SelectionError("The book has no signed entries yet; nothing was written.")
        raise SelectionError(f"No signed entry in the book matches {selection.describe()}; nothing was written.")
    return pages
