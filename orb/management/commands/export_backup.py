"""``manage.py export_backup DIR``: the off-ship copy of the record.

Copies the newest verified backup and its sidecar into a new folder ``DIR/orb-export-<time>``
(orb.safemigrate.offship: written, fsynced, then read back and verified there), adds the book as
PDF and CSV (``manage.py export_orb``, when this release has it), and writes README.txt in that
folder saying what it holds and how to restore from it.  Exit status: 0 done; 1 the copy or the
book export failed; 2 DIR is not a folder; 3 no verified backup to copy.
"""

import io
import os
import socket

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from orb.safemigrate import offship
from orb.safemigrate.backends import backend_for
from orb.safemigrate.errors import SafeMigrateError
from orb.safemigrate.events import Reporter
from orb.safemigrate.journal import Journal, now_iso
from orb.safemigrate.render import ProgressRenderer

BOOK_FORMATS = ("pdf", "csv")

README = """ORB off-ship copy
=================

Made {made} on {host} by `manage.py export_backup`.

What is in this folder
----------------------
{backup}
    The newest verified backup of the Oil Record Book database, taken {created_at}.
{sidecar}
    What the backup holds: sha256 {sha256}, {size} bytes, {applied} migrations applied ({engine}).
{book}
The backup was read back from this folder after it was written: its sha256 matched the one
recorded when it was taken, and its integrity check passed.

Check it before you use it
--------------------------
    sha256sum {backup}
must print {sha256}.

Restoring on the same box (its journal still lists this backup)
----------------------------------------------------------------
1. Copy {backup} back to {original} as the orb user, mode 0600:
       sudo install -o orb -g orb -m 0600 {backup} {original}
2. Restore it (a safety backup of the current database is kept first):
       sudo -u orb /opt/orb/deploy/orb-manage safe_migrate --restore {backup}

Restoring on a new box
----------------------
1. Install the ORB as docs/DEPLOYMENT.md says, up to and including the first migration
   (use the release whose migrations equal the "applied" list in {sidecar}).
2. A database file (orb.db.backup-...): restore it as a file from elsewhere, typing its name
   when asked:
       sudo -u orb /opt/orb/deploy/orb-manage safe_migrate --restore /path/to/{backup} --foreign
   A database server dump (....dump): restore it by hand, as docs/DATABASE_MIGRATIONS.md says
   ("Restore by hand", in its PostgreSQL section).
3. Check the book:
       sudo -u orb /opt/orb/deploy/orb-manage verify_orb
   and compare its chain head with the one printed on the last signed page.
"""


class Command(BaseCommand):
    help = (
        "Copy the newest verified backup, its sidecar and the book (PDF, CSV) into a new folder under DIR "
        "(a USB stick, a share that syncs ashore), verify the copy, and write a README on restoring from it."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help="An existing folder: the mounted stick or share.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")
        parser.add_argument(
            "--backup-dir",
            metavar="DIR",
            help="The backups' folder (default: ORB_BACKUP_DIR, else beside the database).",
        )

    def handle(self, *args, **options):
        directory = os.path.abspath(options["directory"])
        if not os.path.isdir(directory):
            raise CommandError(
                f"{directory} is not a folder; mount the USB stick or share and name a folder on it.", returncode=2
            )
        if options["database"] not in connections:
            raise CommandError(f"No database alias {options['database']!r} in settings.DATABASES.", returncode=2)
        renderer = ProgressRenderer(self.stdout, style=self.style, verbosity=options["verbosity"])
        report = Reporter(renderer)
        try:
            backend = backend_for(connections[options["database"]], backup_dir=options["backup_dir"])
            records = Journal(backend.journal_path).read_reporting(report)
            copy = offship.copy_newest(backend, records, directory, report=report)
        except SafeMigrateError as exc:
            renderer.finish()
            raise CommandError(f"{exc.message} {exc.state or ''}".strip(), returncode=exc.exit_code) from exc
        renderer.finish()
        book, note, failure = self.export_book(copy.folder)
        readme = os.path.join(copy.folder, "README.txt")
        with open(readme, "w") as handle:
            handle.write(readme_text(copy, book, note or failure))
        self.stdout.write(f"Copied {copy.source.path} and its sidecar to {copy.folder}; the copy verified.")
        if failure:
            raise CommandError(f"{failure} The backup copy and README.txt are in {copy.folder}.", returncode=1)
        made = ", ".join(["the backup", "its sidecar", *(os.path.basename(path) for path in book), "README.txt"])
        self.stdout.write(self.style.SUCCESS(f"Database unchanged; exported to {copy.folder}: {made}."))

    def export_book(self, folder):
        """(files written, a note on what is not there or None, a failure sentence or None)."""
        if "export_orb" not in get_commands():
            return self.not_exported("this release of the ORB has no `manage.py export_orb`")
        written = []
        for fmt in BOOK_FORMATS:
            path = os.path.join(folder, f"orb-book.{fmt}")
            try:
                call_command("export_orb", "--format", fmt, "--output", path, stdout=io.StringIO())
            except CommandError as exc:
                if exc.returncode == 2:  # nothing to export (e.g. no signed entry yet): not a failure
                    return self.not_exported(str(exc).rstrip("."))
                return written, None, f"The book export as {fmt.upper()} failed ({exc})."
            except Exception as exc:  # the backup copy stands; say what failed in one sentence
                return written, None, f"The book export as {fmt.upper()} failed ({exc.__class__.__name__}: {exc})."
            written.append(path)
        return written, None, None

    def not_exported(self, why):
        note = f"The book itself was not exported: {why[0].lower()}{why[1:]}."
        self.stderr.write(self.style.WARNING(note))
        return [], note, None


def readme_text(copy, book, note):
    info = copy.source
    lines = [f"{os.path.basename(path)}\n    The book as it stood when this copy was made." for path in book]
    if note:
        lines.append(f"({note})")
    return README.format(
        made=now_iso(),
        host=socket.gethostname(),
        backup=os.path.basename(copy.backup),
        sidecar=os.path.basename(copy.sidecar),
        created_at=info.created_at,
        sha256=info.sha256,
        size=info.size,
        applied=len(info.applied),
        engine=info.engine,
        original=info.path,
        book="\n".join(lines) + "\n",
    )
