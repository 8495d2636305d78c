"""The handover package on disk: the PDF and the workbook of a hitch, in a folder.

Each file is written beside its final name and renamed into place once complete, so a full disk
or an interrupted run leaves no half-written package (an earlier package of the same hitch stays
whole until the new one replaces it).
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fueltickets.handover.forms_pdf import join, render_forms
from fueltickets.handover.period import HitchPeriod
from fueltickets.handover.reconciliation import reconcile
from fueltickets.handover.workbook import render_workbook


@dataclass(frozen=True)
class Package:
    period: HitchPeriod
    pdf: bytes
    xlsx: bytes
    stem: str


def _book_pages(period, *, today):
    """The PDF of the book's whole pages that hold the hitch's entries (b"" when none)."""
    from soundings.export.selection import Selection
    from soundings.export.to_pdf import render_pdf
    from soundings.pages import read_book

    book = read_book()
    first, last = period.entry_range()
    pages = Selection(first, last).pages(book)
    entries = [entry for _, entry in Selection(first, last).entries(book)]
    return (render_pdf(book, pages, today=today) if pages else b""), entries, book


def build(hitch, *, today):
    """The package of the hitch that ``hitch`` (a HitchRecord) opens."""
    period = HitchPeriod.of(hitch, today=today)
    figures = reconcile(period)
    pages_pdf, entries, book = _book_pages(period, today=today)
    vessel_name = book.vessel.name or hitch.vessel or "the vessel"
    pdf = join(render_forms(period, figures, vessel_name=vessel_name), pages_pdf)
    xlsx = render_workbook(period, entries=entries, figures=figures)
    return Package(period=period, pdf=pdf, xlsx=xlsx, stem=f"handover-{hitch.date.isoformat()}-hitch-{hitch.pk}")


def _write_whole(path, data):
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write(package, directory):
    """[pdf path, xlsx path] written into ``directory`` (which must exist)."""
    directory = Path(directory)
    paths = [directory / f"{package.stem}.pdf", directory / f"{package.stem}.xlsx"]
    for path, data in zip(paths, (package.pdf, package.xlsx), strict=True):
        _write_whole(path, data)
    return paths
