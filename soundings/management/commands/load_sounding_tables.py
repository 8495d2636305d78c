"""manage.py load_sounding_tables [FILE] — load tank calibration tables (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from soundings.tables import TableFileError, load_tables, read_table_file


class Command(BaseCommand):
    help = (
        "Load tank calibration (sounding) tables from a JSON file; the whole file is validated "
        "before anything is written, and running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            nargs="?",
            default=str(settings.BASE_DIR / "data" / "sounding_tables.json"),
            help="Table file (default: data/sounding_tables.json).",
        )

    def handle(self, *args, **options):
        path = options["file"]
        try:
            tables = read_table_file(path)
        except TableFileError as exc:
            raise CommandError(str(exc)) from None
        report = load_tables(tables)
        if report.changed:
            summary = (
                f"{report.tanks_created} tank(s) created, {report.tanks_changed} changed; "
                f"{report.rows_added} row(s) added, {report.rows_changed} changed, "
                f"{report.rows_removed} removed"
            )
        else:
            summary = "already up to date, nothing changed"
        self.stdout.write(f"Sounding tables from {path}: {report.tanks} tank(s), {report.rows} row(s); {summary}.")
