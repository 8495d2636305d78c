"""manage.py export_orb --format pdf|csv|html [--from DATE] [--to DATE] [--code C] --output FILE

The Oil Record Book, Part I, for an inspection or for the office ashore (docs/BOOK.md). PDF and
HTML hold whole book pages, numbered as in the book: every page with an entry in the range (and
of the code). CSV holds one row per matching entry. The file is written whole or not at all.
Bad input is one sentence and exit 2; a file that cannot be written, exit 1. No traceback.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from soundings.export import Selection, SelectionError, export, parse_format
from soundings.export.output import OutputError, check_writable, write_atomically
from soundings.pages import read_book


class Command(BaseCommand):
    help = "Export the Oil Record Book Part I (whole pages, or one row per entry) as PDF, CSV or HTML."

    def add_arguments(self, parser):
        parser.add_argument("--format", dest="fmt", default="", help="pdf (A4), csv or html.")
        parser.add_argument("--from", dest="start", default="", help="First ship's date: 2025-03-16 or 16-MAR-2025.")
        parser.add_argument("--to", dest="end", default="", help="Last ship's date (included).")
        parser.add_argument("--code", default="", help="Only pages (CSV: rows) with entries of this code, e.g. C.")
        parser.add_argument("--output", default="", help="The file to write.")

    def handle(self, *args, **options):
        try:
            fmt = parse_format(options["fmt"])
            selection = Selection.parse(start=options["start"], end=options["end"], code=options["code"])
        except SelectionError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if not options["output"]:
            raise CommandError("Say where to write the book: --output FILE.", returncode=2)
        try:
            check_writable(options["output"])
        except OutputError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        data, book = self._export(fmt, selection)
        try:
            write_atomically(options["output"], data)
        except OutputError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        held = _held(fmt, selection, book)
        self.stdout.write(
            f"Wrote {selection.describe()} as {fmt.upper()} to {options['output']}: {held} ({len(data)} bytes)."
        )

    def _export(self, fmt, selection):
        from orb.safemigrate.backends import backend_for

        try:
            exists = backend_for(connections[DEFAULT_DB_ALIAS]).exists()
        except Exception as exc:  # the server is down or refuses us: one sentence, never a traceback
            raise CommandError(
                f"The database cannot be reached ({exc}); check DATABASE_URL and that the server runs.", returncode=1
            ) from exc
        if not exists:
            raise CommandError("There is no database yet; run manage.py safe_migrate first.", returncode=2)
        try:
            book = read_book(verify=True)
            data, _content_type = export(fmt, selection, book=book)
        except SelectionError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except DatabaseError as exc:
            raise CommandError(
                f"The book could not be read ({exc}); run manage.py safe_migrate --status to see the database's state.",
                returncode=1,
            ) from exc
        return data, book


def _held(fmt, selection, book):
    """'3 rows', 'book page 2', 'book pages 1 to 4': what the file holds."""
    if fmt == "csv":
        rows = len(selection.entries(book))
        return f"{rows} row{'s' if rows != 1 else ''}"
    numbers = [page.number for page in selection.pages(book)]
    return f"book page {numbers[0]}" if len(numbers) == 1 else f"book pages {numbers[0]} to {numbers[-1]}"
