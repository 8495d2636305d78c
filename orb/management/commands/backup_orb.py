"""``manage.py backup_orb [--keep N]``: a verified backup of the record, taken while the app works.

The nightly timer runs it (deploy/orb-backup.timer).  The backup is safe_migrate's own
(``Engine.backup``): same file names and sidecar, same checks, journaled, so `safe_migrate
--list-backups` lists it and `safe_migrate --restore` restores it.  With ``--keep N`` the
backups are then pruned by `safe_migrate --prune-backups --keep N`'s rules, without asking.
Exit status as safe_migrate's: 0 done, 1 failed, 2 bad usage, 3 refused (e.g. a migration
holds the lock: the next night's run takes the backup).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from orb.safemigrate.engine import Engine
from orb.safemigrate.errors import SafeMigrateError
from orb.safemigrate.render import ProgressRenderer


class Command(BaseCommand):
    help = (
        "Take a verified backup of the database while the app keeps working (safe_migrate's backups: "
        "listed by --list-backups, restored by --restore); with --keep N, prune to the newest N."
    )
    # A backup must never be stopped by a system check that has nothing to do with it.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep",
            type=int,
            metavar="N",
            help="Afterwards delete all but the newest N verified backups (safe_migrate --prune-backups rules).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")
        parser.add_argument(
            "--backup-dir",
            metavar="DIR",
            help="Where to write the backup (default: ORB_BACKUP_DIR, else beside the database).",
        )

    def handle(self, *args, **options):
        keep, alias = options["keep"], options["database"]
        if keep is not None and keep < 1:
            raise CommandError("--keep needs N of at least 1 (the newest backup is never deleted).", returncode=2)
        if alias not in connections:
            raise CommandError(f"No database alias {alias!r} in settings.DATABASES.", returncode=2)
        outcome = self.run_engine(lambda engine: engine.backup(), options)
        self.stdout.write(self.style.SUCCESS(outcome.state))
        if keep is not None:
            pruned = self.run_engine(lambda engine: engine.prune(keep=keep), options)
            if options["verbosity"] >= 1:
                for line in pruned.summary:
                    self.stdout.write(line)
            self.stdout.write(self.style.SUCCESS(pruned.state))

    def run_engine(self, mode, options):
        """Run one engine mode; its failure becomes one CommandError with safe_migrate's exit status."""
        renderer = ProgressRenderer(self.stdout, style=self.style, verbosity=options["verbosity"])
        engine = Engine(
            connection=connections[options["database"]],
            backup_dir=options["backup_dir"],
            progress=renderer,
            interactive=False,
        )
        try:
            return mode(engine)
        except SafeMigrateError as exc:
            raise CommandError(f"{exc.message} {exc.state or ''}".strip(), returncode=exc.exit_code) from exc
        except Exception as exc:  # an unreachable database, a bug: one sentence, no traceback
            raise CommandError(
                f"backup_orb stopped on an unexpected error ({exc.__class__.__name__}: {exc}); "
                "see `safe_migrate --history` and `--list-backups`.",
                returncode=1,
            ) from exc
        finally:
            renderer.finish()
