"""manage.py verify_orb [--json]: is the Oil Record Book intact?

Walks the hash chain (soundings.chain.verify_book) and checks the append-only triggers
(soundings.guards). Exit 0: intact and every trigger in place; 1: the chain is broken or a
trigger is missing (one sentence naming the first broken entry and what differs, or the
missing triggers). No traceback.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from soundings.chain import book_state


class Command(BaseCommand):
    help = "Verify the Oil Record Book: the hash chain of signed entries and the append-only triggers."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON document.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **options):
        try:
            state = book_state(options["database"])
        except Exception as exc:  # one sentence, never a traceback
            raise CommandError(f"The book could not be read: {type(exc).__name__}: {exc}", returncode=1) from exc
        if options["json"]:
            self.stdout.write(json.dumps(state, indent=2))
        if not state["ok"]:
            raise CommandError(state["summary"], returncode=1)
        if not options["json"]:
            self.stdout.write(state["summary"])
