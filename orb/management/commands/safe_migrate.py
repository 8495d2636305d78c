"""``manage.py safe_migrate``: Django's migrate with backup, rehearsal, checks, recovery,
rollback and a journal.  This module only parses arguments, calls the engine in
``orb.safemigrate`` and prints; see docs/DATABASE_MIGRATIONS.md for the operator's guide.
"""

import argparse
import json
import sys
import traceback

from django.core import checks
from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from orb.safemigrate.engine import Engine
from orb.safemigrate.errors import Refused, SafeMigrateError, UsageError
from orb.safemigrate.readonly_modes import ReadOnlyModes
from orb.safemigrate.render import ProgressRenderer

MODES = (
    "plan",
    "check",
    "dry_run",
    "rollback",
    "fake",
    "fake_initial",
    "prune",
    "status",
    "history",
    "list_backups",
    "restore",
    "prune_backups",
)
READ_ONLY = {"plan", "check", "status", "history", "list_backups"}
TAKES_TARGET = {"upgrade", "plan", "check", "dry_run", "fake", "fake_initial"}
EXIT_STATUSES = """exit status:
  0  done (or nothing to do); --check: no migrations pending
  1  failed: the last line says the database is unchanged or which backup restored it;
     --check: migrations are pending
  2  bad usage or input (unknown app or migration, conflicting options, --run-syncdb)
  3  refused by a safety check (lock held, drift, data loss, irreversible rollback, too little
     disk, a declined confirmation, --fake or --fake-initial leaving the schema unlike the models)

The operator's runbook, with every mode and what to do for each exit status:
docs/DATABASE_MIGRATIONS.md"""


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Django's order of options, and the epilog (the exit statuses) printed as written."""


class Command(BaseCommand):
    help = (  # printed as written (HelpFormatter), so the lines are broken here
        "Apply migrations safely: verified backup, checks inside one transaction, automatic\n"
        "recovery, rollback and a journal. See docs/DATABASE_MIGRATIONS.md."
    )
    requires_system_checks = []
    requires_migrations_checks = False

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, epilog=EXIT_STATUSES, **kwargs)
        parser.formatter_class = HelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("app_label", nargs="?", help="App to migrate (default: all apps).")
        parser.add_argument(
            "migration_name", nargs="?", help="Target migration (forwards or backwards); 'zero' unapplies the app."
        )
        _add_modes(parser.add_argument_group("modes (at most one; default: apply)"))
        _add_options(parser)

    # --- entry -------------------------------------------------------------------------
    def execute(self, *args, **options):
        # Human text goes to stderr when stdout carries the JSON document.
        self.as_json = options.get("json", False)
        try:
            return super().execute(*args, **options)
        except AlreadyReported as exc:
            if self._called_from_command_line:
                # The message and the state line are printed; BaseCommand.run_from_argv would add
                # "CommandError: ..." after the state line, which must stay the last line.  Exit with
                # the status, as run_from_argv does (its ``finally`` still closes the connections).
                sys.exit(exc.returncode)
            raise  # call_command: the caller gets CommandError with returncode

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        self.show_traceback = options["traceback"] or self.verbosity >= 3
        self.out = self.stderr if self.as_json else self.stdout
        renderer = ProgressRenderer(
            self.out, style=self.style, verbosity=0 if self.as_json and self.verbosity < 2 else self.verbosity
        )
        try:
            mode = self.mode(options)
            if not options["skip_checks"]:
                self.system_checks(mode, database=options["database"])
            outcome = self.dispatch(mode, options, renderer)
        except SafeMigrateError as exc:
            return self.fail(exc, renderer)
        except KeyboardInterrupt:
            return self.fail(
                SafeMigrateError(
                    "Interrupted; any open transaction was rolled back.",
                    state=self.interrupted_state("Database unchanged (interrupted before commit), or see --history."),
                ),
                renderer,
            )
        except Exception as exc:  # a bug or an unreachable database: one sentence, no traceback
            wrapped = SafeMigrateError(
                f"safe_migrate stopped on an unexpected error ({exc.__class__.__name__}: {exc}); "
                "run with -v 3 for details and see `--status` and `--history`.",
                state=self.interrupted_state("Database unchanged by this run unless `--history` shows it applied."),
            )
            wrapped.__cause__ = exc
            return self.fail(wrapped, renderer)
        self.succeed(outcome, renderer)
        return None

    def interrupted_state(self, default):
        engine = getattr(self, "engine", None)
        return (engine.interrupted_state if engine else None) or default

    def system_checks(self, mode, *, database):
        """Django's system checks, as ``migrate`` runs them (with the database's own checks for the
        applying modes; the read-only modes never open the database before pointing it read-only).
        An error is a refused safety check: exit 3, one line, like every other refusal."""
        try:
            issues = checks.run_checks(databases=None if mode in READ_ONLY else [database])
        except DatabaseError:  # the database cannot be reached: the run's preflight says so in one sentence
            issues = checks.run_checks()
        errors = [issue for issue in issues if issue.is_serious() and not issue.is_silenced()]
        for issue in issues:
            if not issue.is_serious() and not issue.is_silenced():
                self.stderr.write(self.style.WARNING(f"System check warning: {_one_line(issue)}"))
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise Refused(
                f"Django's system checks found an error: {_one_line(errors[0])}{more}; fix it "
                "(see `manage.py check`) and run again."
            )

    def succeed(self, outcome, renderer):
        renderer.finish()
        if self.as_json:
            self.stdout.write(json.dumps(outcome.payload, indent=2, sort_keys=True, default=str))
            self.stderr.write(outcome.state)
        else:
            for line in outcome.summary:
                if self.verbosity >= 1:
                    self.stdout.write(line)
            style = self.style.WARNING if outcome.exit_code else self.style.SUCCESS
            self.stdout.write(style(outcome.state))
        if outcome.exit_code:  # an answer that is a status (--check: 1 when migrations are pending)
            raise AlreadyReported(outcome.state, returncode=outcome.exit_code)

    def mode(self, options):
        if options["run_syncdb"]:
            raise UsageError(
                "--run-syncdb is not supported: apps without migrations are not supported on a ship's database; "
                "give the app migrations (`manage.py makemigrations APP`) and run safe_migrate."
            )
        chosen = [m for m in MODES if options.get(m) not in (None, False)]
        if len(chosen) > 1:
            flags = " and ".join("--" + m.replace("_", "-") for m in chosen)
            raise UsageError(f"Choose one mode at a time, not {flags}.")
        mode = chosen[0] if chosen else "upgrade"
        if mode == "prune" and options["migration_name"]:
            raise UsageError("--prune takes an app label at most, not a migration name.")
        if options["app_label"] and mode not in TAKES_TARGET | {"prune"}:
            raise UsageError(f"--{mode.replace('_', '-')} does not take an app label or migration name.")
        if options["foreign"] and (mode != "restore" or options["restore"] is True):
            raise UsageError("--foreign goes with --restore PATH: name the file to restore.")
        if options["keep"] is not None and mode != "prune_backups":
            raise UsageError("--keep only goes with --prune-backups.")
        if mode == "prune_backups" and options["keep"] is None:
            raise UsageError("--prune-backups needs --keep N (how many of the newest backups to keep).")
        if options["rehearse"] and mode not in ("upgrade", "rollback"):
            raise UsageError("--rehearse goes with an applying run (the default mode or --rollback).")
        if options["allow_data_loss"] and mode not in ("upgrade", "rollback", "dry_run", "fake_initial", "restore"):
            raise UsageError(
                "--allow-data-loss only applies to runs that migrate (default mode, --dry-run, --rollback, "
                "--fake-initial) and to --restore."
            )
        if options["allow_mismatch"] and mode not in ("fake", "fake_initial"):
            raise UsageError("--allow-mismatch only goes with --fake or --fake-initial.")
        if options["database"] not in connections:
            raise UsageError(f"No database alias {options['database']!r} in settings.DATABASES.")
        return mode

    def dispatch(self, mode, options, renderer):
        connection = connections[options["database"]]
        common = {"connection": connection, "backup_dir": options["backup_dir"], "progress": renderer}
        target = {"app_label": options["app_label"], "migration_name": options["migration_name"]}
        if mode in READ_ONLY:
            modes = ReadOnlyModes(**common)
            if mode in ("plan", "check"):
                return getattr(modes, mode)(**target)
            return getattr(modes, mode)()
        engine = self.engine = Engine(**common, confirm=self.confirm, interactive=options["interactive"])
        if mode == "upgrade":
            return engine.upgrade(
                **target, rehearse_first=options["rehearse"], allow_data_loss=options["allow_data_loss"]
            )
        if mode in ("fake", "fake_initial"):
            return engine.fake(
                **target,
                initial=mode == "fake_initial",
                allow_mismatch=options["allow_mismatch"],
                allow_data_loss=options["allow_data_loss"],
            )
        if mode == "prune":
            return engine.prune_records(app_label=options["app_label"])
        if mode == "dry_run":
            return engine.dry_run(**target, allow_data_loss=options["allow_data_loss"])
        if mode == "rollback":
            return engine.rollback(allow_data_loss=options["allow_data_loss"], rehearse_first=options["rehearse"])
        if mode == "restore":
            name = None if options["restore"] is True else options["restore"]
            return engine.restore(name=name, foreign=options["foreign"], allow_data_loss=options["allow_data_loss"])
        return engine.prune(keep=options["keep"])

    def confirm(self, question, expect=None):
        """Ask on stderr; True for 'yes', or, with ``expect``, only when exactly that is typed."""
        self.stderr.write(question)
        if expect is None:
            self.stderr.write("Type 'yes' to continue: ", ending="")
        else:
            self.stderr.write(f"Type the file's name ({expect}) to continue: ", ending="")
        self.stderr.flush()
        try:
            answer = input()
        except EOFError:
            self.stderr.write("")
            self.stderr.write(
                "No answer (stdin closed)."
                if expect
                else "No answer (stdin closed); pass --noinput to skip the question."
            )
            return False
        if expect is not None:
            return answer.strip() == expect
        return answer.strip().lower() in ("yes", "y")

    def fail(self, exc, renderer):
        """Print the message (and, with --traceback or -v 3, the cause's traceback), then the state
        line last; a non-zero status ends the command as AlreadyReported."""
        renderer.finish()
        code = exc.exit_code
        if self.as_json:
            self.stdout.write(
                json.dumps(
                    {"ok": code == 0, "exit_code": code, "error": exc.message, "state": exc.state, **exc.details},
                    indent=2,
                    sort_keys=True,
                    default=str,
                )
            )
        self.stderr.write(self.style.ERROR(exc.message) if code else exc.message)
        if self.show_traceback and (exc.__cause__ or exc.__context__):
            cause = exc.__cause__ or exc.__context__
            self.stderr.write("".join(traceback.format_exception(cause)))
        self.stderr.write(exc.state)
        if code:
            raise AlreadyReported(exc.message, returncode=code)


def _add_modes(modes):
    """The modes, at most one per run (``Command.mode`` refuses two)."""
    modes.add_argument("--plan", action="store_true", help="Print the plan with its SQL; change nothing.")
    modes.add_argument(
        "--check",
        action="store_true",
        help="Exit 1 when migrations are pending, 0 when none are; one line, no lock, no backup.",
    )
    modes.add_argument(
        "--dry-run",
        action="store_true",
        help="Preflight and a full rehearsal on a copy; the database is not changed.",
    )
    modes.add_argument(
        "--rollback", action="store_true", help="Undo the most recent applied run that is not yet rolled back."
    )
    modes.add_argument(
        "--fake",
        action="store_true",
        help="Mark the migrations up to the target applied (or unapplied) without running them; "
        "backed up, asks first, journaled; the models check still runs.",
    )
    modes.add_argument(
        "--fake-initial",
        action="store_true",
        help="As the default mode, but an initial migration whose tables all exist is marked applied without running.",
    )
    modes.add_argument(
        "--prune",
        action="store_true",
        help="Delete the django_migrations rows of migrations whose files no longer exist (after a "
        "squash); lists them and asks first; backed up and journaled.",
    )
    modes.add_argument("--status", action="store_true", help="Applied/pending migrations, database, last run.")
    modes.add_argument("--history", action="store_true", help="The journal of runs, newest first.")
    modes.add_argument("--list-backups", action="store_true", help="The backups and the state each holds.")
    modes.add_argument(
        "--restore",
        nargs="?",
        const=True,
        default=None,
        metavar="BACKUP",
        help="Restore the newest (or the named) backup after verifying it.",
    )
    modes.add_argument("--prune-backups", action="store_true", help="Delete all but the newest --keep N backups.")


def _add_options(parser):
    """The options that go with the modes (``Command.mode`` says which go with which)."""
    parser.add_argument(
        "--foreign",
        action="store_true",
        help="With --restore PATH: restore a file safe_migrate did not write (or cannot "
        "vouch for), after you type its name to confirm.",
    )
    parser.add_argument("--keep", type=int, metavar="N", help="With --prune-backups: how many to keep.")
    parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")
    parser.add_argument(
        "--noinput", "--no-input", action="store_false", dest="interactive", help="Do not ask for confirmation."
    )
    parser.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="Allow a plan that drops rows or non-null values (with --restore: a backup that lacks "
        "entries signed since it was taken).",
    )
    parser.add_argument(
        "--rehearse", action="store_true", help="Rehearse on a copy first, then run for real if it passed."
    )
    parser.add_argument("--backup-dir", metavar="DIR", help="Where to write backups (default: beside the database).")
    parser.add_argument("--json", action="store_true", help="One JSON document on stdout.")
    parser.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="With --fake or --fake-initial: mark the migrations even when the models check finds the "
        "schema unlike the models (a warning names each table or column).",
    )
    parser.add_argument(
        "--run-syncdb",
        action="store_true",
        help="Refused: apps without migrations are not supported on a ship's database.",
    )
    parser.add_argument(
        "--skip-checks",
        action="store_true",
        help="Skip Django's system checks (never safe_migrate's own checks).",
    )


class AlreadyReported(CommandError):
    """The run ended with exit status ``returncode`` (1 failed, 2 usage, 3 refused: see
    docs/DATABASE_MIGRATIONS.md); its message and state line are already printed."""


def _one_line(issue):
    """A system check message on one line: "<object>: (<id>) <message>"."""
    where = f"{issue.obj}: " if issue.obj is not None else ""
    return f"{where}({issue.id}) {issue.msg}".replace("\n", " ")
