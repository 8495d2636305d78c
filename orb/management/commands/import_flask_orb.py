"""``manage.py import_flask_orb PATH``: bring a ship's record over from the Flask tool.

Reads the old SQLite file read-only, recognises it, and imports it guarded like a migration
(orb.flask_import.guarded: safe_migrate's lock, a verified backup, one transaction with the
checks before COMMIT, the journal). Exit status as safe_migrate's: 0 done (or nothing to add),
1 failed (rolled back, or restored from the backup), 2 bad usage (no such file), 3 refused (not
the Flask tool's file, another file already imported without --append, a book with entries made
here, the lock held). The last line says the database's state. docs/MOVING_FROM_FLASK.md.
"""

import json
import sys
import traceback

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

from orb.flask_import.guarded import GuardedImport
from orb.flask_import.oldfile import NotAnOldFile, open_old_file
from orb.management.commands.safe_migrate import AlreadyReported
from orb.safemigrate.errors import Refused, SafeMigrateError, UsageError
from orb.safemigrate.render import ProgressRenderer


class Command(BaseCommand):
    help = (
        "Import the Flask tool's database (its data/orb.db) into this one: soundings, ORB entries (verbatim, "
        "appended to the hash chain), tank pairs, fuel tickets, hitch records; guarded like safe_migrate."
    )
    requires_system_checks = []  # the database's own state is checked by the run (integrity, migrations)

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="The Flask tool's SQLite file (read-only, never written).")
        parser.add_argument("--dry-run", action="store_true", help="Do everything, report, and roll back.")
        parser.add_argument("--json", action="store_true", help="One JSON document on stdout.")
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive", help="Never ask a question."
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="Import this file although the database holds an import of another file (asks unless --noinput).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")
        parser.add_argument("--backup-dir", metavar="DIR", help="Where to write the backup (default: as safe_migrate).")

    def execute(self, *args, **options):
        self.as_json = options.get("json", False)
        try:
            return super().execute(*args, **options)
        except AlreadyReported as exc:
            if self._called_from_command_line:
                sys.exit(exc.returncode)  # message and state line printed; the state line stays last
            raise

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        out = self.stderr if self.as_json else self.stdout
        renderer = ProgressRenderer(out, style=self.style, verbosity=0 if self.as_json else self.verbosity)
        self.importer = None
        try:
            old = self.open_file(options)
            try:
                outcome = self.run_import(old, options=options, renderer=renderer)
            finally:
                old.close()
        except SafeMigrateError as exc:
            return self.fail(exc, renderer)
        except KeyboardInterrupt:
            return self.fail(SafeMigrateError("Interrupted.", state=self.state_now()), renderer)
        except Exception as exc:  # a bug or an unreachable database: one sentence, no traceback
            wrapped = SafeMigrateError(
                f"import_flask_orb stopped on an unexpected error ({exc.__class__.__name__}: {exc}); run with "
                "-v 3 for details and see `safe_migrate --history`.",
                state=self.state_now(),
            )
            wrapped.__cause__ = exc
            return self.fail(wrapped, renderer)
        self.succeed(outcome, renderer)
        return None

    def open_file(self, options):
        if options["database"] not in connections:
            raise UsageError(f"No database alias {options['database']!r} in settings.DATABASES.")
        try:
            return open_old_file(options["path"])
        except FileNotFoundError:
            raise UsageError(
                f"{options['path']}: no such file; give the path of the Flask tool's data/orb.db."
            ) from None
        except NotAnOldFile as exc:
            raise Refused(str(exc)) from exc

    def run_import(self, old, *, options, renderer):
        if options["append"] and options["interactive"] and not options["dry_run"] and not self.confirm(old.path):
            raise Refused("Import cancelled; nothing was changed.")
        self.importer = GuardedImport(
            connection=connections[options["database"]], old=old, backup_dir=options["backup_dir"], progress=renderer
        )
        self.stdout_or_err().write(
            f"{old.path}: the Flask tool's database ({old.age} installation, {', '.join(old.tables)})"
        )
        return self.importer.execute(dry_run=options["dry_run"], append=options["append"])

    def confirm(self, path):
        self.stderr.write(
            f"Import {path} next to the file(s) this database already holds? Type 'yes' to continue: ", ending=""
        )
        try:
            return input().strip().lower() in ("yes", "y")
        except EOFError:
            self.stderr.write("No answer (stdin closed); pass --noinput to skip the question.")
            return False

    def state_now(self):
        run = self.importer.run if self.importer else None
        return (run.interrupted_state if run else None) or "Database unchanged (the transaction was rolled back)."

    def stdout_or_err(self):
        return self.stderr if self.as_json else self.stdout

    def succeed(self, outcome, renderer):
        renderer.finish()
        if self.as_json:
            self.stdout.write(json.dumps(outcome.payload, indent=2, sort_keys=True, default=str))
            self.stderr.write(outcome.state)
            return
        if self.verbosity >= 1:
            for line in outcome.summary:
                self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(outcome.state))

    def fail(self, exc, renderer):
        renderer.finish()
        code = exc.exit_code
        if self.as_json:
            document = {"ok": False, "exit_code": code, "error": exc.message, "state": exc.state, **exc.details}
            self.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str))
        self.stderr.write(self.style.ERROR(exc.message))
        if self.verbosity >= 3 and (exc.__cause__ or exc.__context__):
            self.stderr.write("".join(traceback.format_exception(exc.__cause__ or exc.__context__)))
        self.stderr.write(exc.state)
        raise AlreadyReported(exc.message, returncode=code)
