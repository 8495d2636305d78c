"""manage.py load_sounding_tables [FILE] [--user LOGIN] — load tank calibration tables.

A tank whose rows differ from its newest table version gets a new version (who, when, the
file's sha256); soundings keep the version they used. Loading the same file again changes
nothing and says "unchanged".
"""

import getpass
import hashlib
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from soundings.tables import TableFileError, load_tables, read_table_file


def _computer_account():
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name for this uid (a bare container)
        return f"uid {os.getuid()}"


class Command(BaseCommand):
    help = (
        "Load tank calibration (sounding) tables from a JSON file. The whole file is validated before "
        "anything is written; a changed table becomes a new table version (who, when, the file's "
        "sha256) and soundings keep the version they used; an unchanged file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            nargs="?",
            default=str(settings.BASE_DIR / "data" / "sounding_tables.json"),
            help="Table file (default: data/sounding_tables.json).",
        )
        parser.add_argument(
            "--user",
            metavar="LOGIN",
            help="The ORB login loading the tables (recorded with each new version); "
            "default: the computer account running the command.",
        )

    def handle(self, *args, **options):
        path = options["file"]
        try:
            tables = read_table_file(path)
            with open(path, "rb") as handle:
                sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
        except TableFileError as exc:
            raise CommandError(str(exc)) from None
        user, who = self._who(options["user"])
        report = load_tables(tables, source=os.path.abspath(path), sha256=sha256, user=user, who=who)
        for change in report.changes:
            self.stdout.write(change.describe())
        summary = f"{report.new_versions} new table version(s)" if report.changed else "unchanged"
        self.stdout.write(
            f"Sounding tables from {path} (sha256 {sha256[:12]}…): {report.tanks} tank(s), "
            f"{report.rows} row(s); {summary}."
        )

    @staticmethod
    def _who(login):
        if not login:
            return None, _computer_account()
        user = get_user_model().objects.filter(username=login).first()
        if user is None:
            raise CommandError(f'There is no login "{login}"; give an existing username with --user, or leave it out.')
        return user, login
