"""Plain ``migrate``, refused on the ship's database: ``safe_migrate`` is the way to migrate it.

Django's ``migrate`` takes no backup, rehearses nothing and cannot be rolled back, so on a
real database it refuses (exit 2) and names ``safe_migrate``.  It still runs:
- on a test database (Django's test runner and pytest-django call it while creating one);
- anywhere when ORB_ALLOW_PLAIN_MIGRATE=1 is set (the benchmark's plain baseline; an
  operator who knowingly takes the risk).

``orb`` is an installed app, so this command replaces Django's under the same name.  The
safe_migrate engine never calls this command: it drives ``MigrationExecutor`` itself.
"""

import os

from django.conf import settings
from django.core.management import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import DEFAULT_DB_ALIAS, connections

from orb.safemigrate.backends import is_test_database  # by the database's own test-name rules

ALLOW_VARIABLE = "ORB_ALLOW_PLAIN_MIGRATE"


def allowed_by_environment():
    return os.environ.get(ALLOW_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}


class Command(DjangoMigrateCommand):
    help = (
        DjangoMigrateCommand.help + " In ORB this is refused on a database that is not a test "
        f"database: use `manage.py safe_migrate` (or set {ALLOW_VARIABLE}=1 to force plain migrate)."
    )

    def execute(self, *args, **options):
        # Refused before the system checks too: a model check (a JSONField asks the database
        # what it supports) would open the database, creating a missing file.
        self.refuse_unless_allowed(options.get("database") or DEFAULT_DB_ALIAS)
        return super().execute(*args, **options)

    def handle(self, *args, **options):
        self.refuse_unless_allowed(options["database"])
        return super().handle(*args, **options)

    @staticmethod
    def refuse_unless_allowed(alias):
        # An unknown alias is left to Django's own error.  Nothing before this point has
        # opened the database, so a refusal creates no file and writes nothing.
        if alias in settings.DATABASES and not allowed_by_environment():
            connection = connections[alias]
            if not is_test_database(connection):
                raise CommandError(
                    f"Plain `migrate` is refused on {connection.settings_dict['NAME']} because it takes "
                    "no backup and cannot be rolled back: run `python manage.py safe_migrate` instead "
                    f"(set {ALLOW_VARIABLE}=1 only if you must use plain migrate).",
                    returncode=2,
                )
