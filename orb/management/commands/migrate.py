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
from django.db import connections
from django.db.backends.base.creation import TEST_DATABASE_PREFIX

ALLOW_VARIABLE = "ORB_ALLOW_PLAIN_MIGRATE"


def allowed_by_environment():
    return os.environ.get(ALLOW_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}


def is_test_database(connection):
    """True when ``connection`` points at a database Django's test machinery created.

    Decided by the database the connection will write to, not by "are tests running"
    (a flag such as setup_test_environment() says nothing about which database a
    connection points at).  Django's ``create_test_db`` switches the connection's NAME to
    the test database's name before it calls ``migrate``, and that name is, by Django's
    own rules (``_get_test_db_name``):
    - the configured ``TEST["NAME"]`` when there is one (pytest-django adds its xdist
      suffix to both), so only a NAME equal to it counts;
    - otherwise, on SQLite, an in-memory database (which holds nothing to lose anyway);
    - otherwise ``test_`` + NAME (``TEST_DATABASE_PREFIX``).
    A ship's SQLite file is never in memory and its NAME is an absolute path, so neither
    rule can match it by accident; an explicit TEST NAME wins over the prefix rule.
    """
    settings_dict = connection.settings_dict
    name = str(settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return True
    test_name = (settings_dict.get("TEST") or {}).get("NAME")
    if test_name:
        return name == str(test_name)
    return connection.vendor != "sqlite" and name.startswith(TEST_DATABASE_PREFIX)


class Command(DjangoMigrateCommand):
    help = (
        DjangoMigrateCommand.help + " In ORB this is refused on a database that is not a test "
        f"database: use `manage.py safe_migrate` (or set {ALLOW_VARIABLE}=1 to force plain migrate)."
    )

    def handle(self, *args, **options):
        alias = options["database"]
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
        return super().handle(*args, **options)
