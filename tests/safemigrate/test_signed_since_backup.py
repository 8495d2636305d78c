"""--restore's comparison of signed entries (issue 13): a backend that cannot read a backup in
place (a PostgreSQL dump) skips it with a note; the engine takes the entries from the hook."""

from types import SimpleNamespace

from orb.safemigrate import signed
from orb.safemigrate.backends.base import Backend


def two_entries(using):
    return {1: "signed ORB entry 1", 2: "signed ORB entry 2"}


class NoReadInPlace(Backend):
    label = "the stub database"


class Notes:
    def __init__(self):
        self.notes = []

    def note(self, message, verbosity=1):
        self.notes.append(message)


def test_a_backend_that_cannot_read_a_backup_in_place_skips_the_comparison(settings):
    settings.ORB_BOOK_SIGNED_ENTRIES = f"{__name__}.two_entries"
    report = Notes()
    backend = NoReadInPlace(SimpleNamespace(alias="default"))
    assert signed.missing_from_backup(backend, "/nowhere/backup.dump", report) == []
    assert report.notes and "not compared with the backup" in report.notes[0]


def test_no_hook_no_comparison(settings):
    settings.ORB_BOOK_SIGNED_ENTRIES = None
    backend = NoReadInPlace(SimpleNamespace(alias="default"))
    assert signed.missing_from_backup(backend, "/nowhere/backup.dump", Notes()) == []
