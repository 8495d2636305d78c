"""Checks run inside the apply transaction, before COMMIT (and again after, on the file).

Each check raises ``CheckFailed`` with one sentence; none of them writes anything
that outlives the transaction (the smoke checks run in a savepoint rolled back).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils.module_loading import import_string

from .background import BackgroundCheck
from .errors import CheckFailed


def integrity(backend, scope=None):
    """The backend's fast integrity check, seeing this transaction's own changes (``scope``:
    the tables the plan wrote, or None for the whole database)."""
    problems = backend.integrity_problems_in_transaction(scope)
    if problems:
        raise CheckFailed("integrity", "; ".join(problems[:5]))


def foreign_keys(backend, scope=None):
    """Every foreign key points at an existing row (deferred constraints are checked now);
    ``scope``: those of the tables the plan wrote and of the tables referencing them."""
    problems = backend.foreign_key_problems_in_transaction(scope)
    if problems:
        raise CheckFailed("foreign keys", problems[0])


def models_readable(connection, apps_registry):
    """Every concrete model can be read with all its fields: the schema matches the models."""
    checked = 0
    for model in apps_registry.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        try:
            with transaction.atomic(using=connection.alias):
                list(model._base_manager.using(connection.alias).all()[:1])
        except Exception as exc:
            raise CheckFailed("schema", _unreadable(meta, exc)) from exc
        checked += 1
    return checked


def unreadable_models(connection, apps_registry):
    """(models checked, one sentence per model that cannot be read): the same check as
    ``models_readable``, going on past a failure, for ``--fake --allow-mismatch`` to list them all."""
    checked, problems = 0, []
    for model in apps_registry.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        checked += 1
        try:
            with transaction.atomic(using=connection.alias):  # a savepoint: the transaction stays usable
                list(model._base_manager.using(connection.alias).all()[:1])
        except DatabaseError as exc:
            problems.append(_unreadable(meta, exc))
    return checked, problems


def _unreadable(meta, exc):
    """ "app.Model cannot be read from table (Error: no such column: table.column)", on one line."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{meta.label} cannot be read from {meta.db_table} ({exc.__class__.__name__}: {detail})"


def prepare_smoke():
    """Start, in a second thread, what the project's smoke checks can do before the plan's
    transaction without a database (a check's ``prepare`` attribute: orb.smoke compiles its
    templates and builds the URL patterns).  Nothing waits for it here: each check waits for its
    own preparation when it runs, and one that failed is done again there, where its error counts."""

    def prepare_all():
        for path in getattr(settings, "ORB_SMOKE_CHECKS", []):
            prepare = getattr(import_string(path), "prepare", None)
            if prepare is not None:
                prepare()

    return BackgroundCheck(prepare_all)


def smoke(connection):
    """The project's smoke checks (settings.ORB_SMOKE_CHECKS), in a savepoint rolled back."""
    paths = getattr(settings, "ORB_SMOKE_CHECKS", [])
    ran = []
    for path in paths:
        check = import_string(path)
        sid = transaction.savepoint(using=connection.alias)
        try:
            check()
        except Exception as exc:
            detail = str(exc) or exc.__class__.__name__
            raise CheckFailed("smoke", f"{path}: {detail}") from exc
        finally:
            transaction.savepoint_rollback(sid, using=connection.alias)
        ran.append(path)
    return ran


@dataclass
class BookCheck:
    """What the project's book check said: ``state`` is "verified", "broken" (``sentence``
    names the first broken entry), "skipped" (``sentence`` says why) or "none" (no hook)."""

    state: str
    sentence: str | None = None

    def summary(self):
        return self.state if not self.sentence else f"{self.state}: {self.sentence}"


def book(connection):
    """The project's book check (settings.ORB_BOOK_CHECK, a dotted path to a function taking
    the database alias and returning None when the book verifies, else one sentence naming the
    first broken entry). Read-only, in a transaction rolled back; a database error (the book's
    tables are not there, or do not match the code's models in this state) skips it."""
    path = getattr(settings, "ORB_BOOK_CHECK", None)
    if not path:
        return BookCheck("none")
    check = import_string(path)
    try:
        with transaction.atomic(using=connection.alias):
            sentence = check(connection.alias)
            transaction.set_rollback(True, using=connection.alias)
    except DatabaseError as exc:
        return BookCheck("skipped", f"the book cannot be read in this state ({exc.__class__.__name__}: {exc})")
    return BookCheck("broken", sentence) if sentence else BookCheck("verified")
