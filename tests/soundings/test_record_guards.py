"""Append-only in the database (soundings.guards): every path that could change or delete a
signed entry, a signature, a review, the audit trail or a sounding with entries is refused.
The suite runs on SQLite and on PostgreSQL (make test's second pass)."""

import sqlite3
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from soundings import guards
from soundings.models import AuditEvent, EntryReview, OrbEntry, PageSignature, WeeklySounding
from tests.conftest import PASSWORD, record_sounding, sign_all

REFUSED = (IntegrityError, ValidationError)


@pytest.fixture
def book(tanks, officer, make_officer):
    """A signed sounding (3 entries), a draft remark, a review; returns the first signed entry."""
    sounding = record_sounding(tanks["17S"], feet=1, inches=0)
    signed = sign_all(sounding.entries.all(), officer)
    OrbEntry(code="I", text="Draft remark", instant=signed[0].instant).save()
    chief = make_officer("chief", first="A.", last="Chief", rank="Chief Engineer", group="Chief Engineer")
    signed[0].review(user=chief, password=PASSWORD)
    return signed[0]


def refused_in_db(sql, params=()):
    """Run raw SQL in a savepoint; True when the database refused it with the guard's message."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError as exc:
        assert "ORB append-only" in str(exc)
        return True
    return False


def test_the_triggers_are_installed(db):
    assert guards.missing(connection) == []
    assert set(guards.installed(connection)) == set(guards.trigger_names(connection))


def test_orm_paths_are_refused(book):
    entry = book
    paths = [
        lambda: OrbEntry.objects.filter(pk=entry.pk).update(text="x"),
        lambda: OrbEntry.objects.filter(pk=entry.pk).delete(),
        lambda: OrbEntry._base_manager.filter(pk=entry.pk).update(text="x"),
        lambda: OrbEntry._base_manager.filter(pk=entry.pk).delete(),
        lambda: OrbEntry.objects.filter(pk=entry.pk)._raw_delete(connection.alias),
        lambda: OrbEntry(pk=entry.pk, code="I", text="over", instant=entry.instant).save(),
        lambda: OrbEntry(pk=entry.pk, code="I", text="over", instant=entry.instant).save(force_update=True),
        lambda: entry.delete(),
        lambda: WeeklySounding.objects.all().update(feet=3),
        lambda: WeeklySounding._base_manager.all().delete(),
        lambda: EntryReview.objects.all().delete(),
        lambda: EntryReview.objects.all().update(reviewer_name="x"),
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditEvent.objects.all().update(note="x"),
        lambda: AuditEvent.objects.first().delete(),
    ]
    for _index, attempt in enumerate(paths):
        with pytest.raises(REFUSED), transaction.atomic():
            attempt()
    assert OrbEntry.objects.get(pk=entry.pk).text == entry.text
    assert OrbEntry.objects.filter(state="signed").count() == 3


def test_bypassing_the_model_layer_meets_the_triggers(book):
    """QuerySet.update/_raw_delete of the plain Django classes, and the SQL compiler: the database refuses."""
    from django.db.models import QuerySet

    with pytest.raises(IntegrityError, match="ORB append-only"), transaction.atomic():
        QuerySet(OrbEntry).filter(pk=book.pk).update(text="x")
    with pytest.raises(IntegrityError, match="ORB append-only"), transaction.atomic():
        QuerySet(OrbEntry).filter(pk=book.pk)._raw_delete(connection.alias)
    with pytest.raises(IntegrityError, match="ORB append-only"), transaction.atomic():
        QuerySet(AuditEvent).all()._raw_delete(connection.alias)


def test_raw_sql_is_refused_and_drafts_stay_free(book):
    entry = book
    assert refused_in_db("UPDATE soundings_orbentry SET text = 'x' WHERE id = %s", [entry.pk])
    assert refused_in_db("DELETE FROM soundings_orbentry WHERE id = %s", [entry.pk])
    assert refused_in_db("UPDATE soundings_orbentry SET state = 'draft' WHERE id = %s", [entry.pk])
    assert refused_in_db("UPDATE soundings_weeklysounding SET feet = 3")
    assert refused_in_db("DELETE FROM soundings_weeklysounding")
    assert refused_in_db("UPDATE soundings_entryreview SET reviewer_name = 'x'")
    assert refused_in_db("DELETE FROM soundings_entryreview")
    assert refused_in_db("UPDATE soundings_auditevent SET note = 'x'")
    assert refused_in_db("DELETE FROM soundings_auditevent")
    draft = OrbEntry.objects.get(state="draft")
    assert not refused_in_db("UPDATE soundings_orbentry SET text = 'better' WHERE id = %s", [draft.pk])
    assert not refused_in_db("DELETE FROM soundings_orbentry WHERE id = %s", [draft.pk])


def test_a_migration_may_add_a_column_to_the_record_and_fill_it(book):
    """A later migration may add a column to a guarded table and fill it for signed rows; what the
    record holds (and the hash covers) stays refused, and the chain still verifies."""
    from soundings.chain import verify_book

    signed_ids = list(OrbEntry.objects.filter(state="signed").values_list("pk", flat=True))
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # the fixture's rows have deferred checks pending
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE soundings_orbentry ADD COLUMN remark varchar(20) NULL")
            cursor.execute("ALTER TABLE soundings_pagesignature ADD COLUMN remark varchar(20) NULL")
        assert not refused_in_db("UPDATE soundings_orbentry SET remark = 'filled'")
        assert not refused_in_db("UPDATE soundings_pagesignature SET remark = 'filled'")
        assert refused_in_db("UPDATE soundings_orbentry SET text = 'x', remark = 'y' WHERE id = %s", [signed_ids[0]])
        assert verify_book().ok
        transaction.set_rollback(True)


@pytest.mark.pg_test_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncate_is_refused_on_postgresql(book):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks in the way
    for table in guards.PROTECTED:
        assert refused_in_db(f"TRUNCATE {table} CASCADE")


def test_page_signatures_are_refused_too(book, make_officer):
    master = make_officer("master", first="B.", last="Master", rank="Master", group="Master")
    PageSignature.objects.create(
        page_number=1,
        first_sequence=1,
        last_sequence=3,
        chain_head="0" * 64,
        master=master,
        master_name="B. Master",
        master_rank="Master",
        signed_at=book.signed_at,
    )
    assert refused_in_db("UPDATE soundings_pagesignature SET master_name = 'x'")
    assert refused_in_db("DELETE FROM soundings_pagesignature")
    with pytest.raises(REFUSED), transaction.atomic():
        PageSignature.objects.get().delete()


# serialized_rollback: the groups made by data migrations are back for this test, and the next
# serialized test's content types do not collide with ones a plain flush would re-create.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_another_program_on_the_database_is_refused(tanks, officer):
    """Committed rows, then a second connection from outside Django: sqlite3 on the test file,
    psql on PostgreSQL. (The flush after this test passes through the test-only bypass.)"""
    sounding = record_sounding(tanks["17S"], feet=1, inches=0)
    entry = sign_all(sounding.entries.all(), officer)[0]
    statements = [
        f"UPDATE soundings_orbentry SET text = 'forged' WHERE id = {entry.pk}",
        f"DELETE FROM soundings_orbentry WHERE id = {entry.pk}",
        "DELETE FROM soundings_auditevent",
        f"DELETE FROM soundings_weeklysounding WHERE id = {sounding.pk}",
    ]
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        outside = sqlite3.connect(settings_dict["NAME"], timeout=10)
        try:
            for sql in statements:
                with pytest.raises(sqlite3.DatabaseError, match="ORB append-only"):
                    outside.execute(sql)
                outside.rollback()
        finally:
            outside.close()
    else:
        env = {"PGPASSWORD": settings_dict.get("PASSWORD") or "", "PATH": "/usr/bin:/bin"}
        for sql in statements:
            result = subprocess.run(
                [
                    "psql",
                    "-X",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-h",
                    settings_dict["HOST"] or "127.0.0.1",
                    "-p",
                    str(settings_dict["PORT"] or 5432),
                    "-U",
                    settings_dict["USER"],
                    "-d",
                    settings_dict["NAME"],
                    "-c",
                    sql,
                ],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
            assert result.returncode != 0 and "ORB append-only" in result.stderr, result.stderr
    assert OrbEntry.objects.get(pk=entry.pk).text == entry.text
    assert WeeklySounding.objects.filter(pk=sounding.pk).exists()
