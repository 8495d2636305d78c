"""``manage.py check_migrations``: lint the migrations and round-trip them on scratch databases
before they are committed (docs/MIGRATION_CHECKS.md).  The work lives in ``orb.migrationcheck``;
this module parses arguments and prints.

Exit status: 0 clean (acknowledged findings included), 1 findings to fix, 2 bad usage.
"""

import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from orb.migrationcheck.checker import Checker, UsageProblem


class Command(BaseCommand):
    help = (
        "Check migrations before they are committed: lint rules (ORB1xx) and a round trip backwards and "
        "forwards on scratch databases with rows. See docs/MIGRATION_CHECKS.md."
    )
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("app_label", nargs="*", help="Apps to check (default: this project's own apps).")
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="Alias whose server also gets a round trip when it is not the embedded engine (default: default).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON document on stdout.")
        parser.add_argument(
            "--no-round-trip", action="store_true", help="Only the rules read from the files (seconds, no database)."
        )
        parser.add_argument(
            "--write-lock",
            action="store_true",
            help="Add the migrations not yet in migrations.lock to it (make release); refused while a released "
            "migration is edited.",
        )

    def handle(self, *args, **options):
        as_json = options["json"]
        progress = (lambda m: None) if as_json or options["verbosity"] < 1 else self._progress
        try:
            checker = Checker(
                app_labels=options["app_label"],
                alias=options["database"],
                round_trip=not options["no_round_trip"],
                progress=progress,
            )
            if options["write_lock"]:
                self._write_lock(checker, as_json=as_json)
                return
            started = time.monotonic()
            report = checker.run()
        except UsageProblem as exc:
            raise CommandError(str(exc), returncode=2) from None
        self._print(report, as_json=as_json, seconds=time.monotonic() - started)
        if report.exit_code:
            sys.exit(report.exit_code)

    def _progress(self, message):
        self.stdout.write(self.style.MIGRATE_HEADING(message + "..."))

    def _print(self, report, *, as_json, seconds):
        if as_json:
            document = report.to_json()
            document["seconds"] = round(seconds, 2)
            self.stdout.write(json.dumps(document, indent=2))
            return
        for trip in report.round_trips:
            self.stdout.write(f"  {trip.line()}")
            for note in trip.notes:
                self.stdout.write(f"  note: {note}")
        for note in report.notes:
            self.stdout.write(f"  note: {note}")
        for finding in report.findings:
            line = finding.line()
            self.stdout.write(self.style.WARNING(line) if finding.acknowledged else self.style.ERROR(line))
        summary = f"{report.summary()} ({seconds:.1f}s)"
        self.stdout.write(self.style.ERROR(summary) if report.exit_code else self.style.SUCCESS(summary))

    def _write_lock(self, checker, *, as_json):
        added, problems = checker.write_lock()
        if as_json:
            self.stdout.write(
                json.dumps({"added": added, "findings": [p.to_json() for p in problems], "exit": 1 if problems else 0})
            )
        else:
            for problem in problems:
                self.stdout.write(self.style.ERROR(problem.line()))
            if problems:
                self.stdout.write(self.style.ERROR("migrations.lock unchanged: a released migration was edited."))
            else:
                words = f"added {len(added)}: {', '.join(added)}" if added else "nothing new to add"
                self.stdout.write(self.style.SUCCESS(f"migrations.lock up to date ({words})."))
        if problems:
            sys.exit(1)
