"""Book pages, the Master's page signature and late entries (issue 13)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from orb.models import VesselParticulars
from soundings import chain, record
from soundings.models import AuditEvent, OrbEntry
from tests.conftest import PASSWORD, at

LINES = 10  # five one-line remarks: each takes its line of text and its signature line (soundings.pages)


@pytest.fixture
def five_lines(db):
    VesselParticulars.objects.create(name="MV Test", imo_number="9074729", lines_per_page=LINES)


@pytest.fixture
def master(make_officer):
    return make_officer("master", first="B.", last="Master", rank="Master", group="Master")


FIRST_DAY = at(2025, 3, 1, 12, 0)


def signed_remarks(user, days, start=FIRST_DAY):
    done = []
    for day in days:
        entry = OrbEntry(code="I", text=f"Remark of day {day}", instant=start + timedelta(days=day))
        entry.save()
        done.append(entry.sign(user=user, password=PASSWORD))
    return done


def test_pages_hold_lines_per_page_lines_in_signing_order(five_lines, officer):
    signed_remarks(officer, range(7))
    pages = record.book_pages()
    assert [len(p.entries) for p in pages] == [5, 2]
    assert [e.sequence for e in pages[0].entries] == [1, 2, 3, 4, 5]
    assert pages[0].complete and not pages[1].complete


def test_only_the_master_signs_a_completed_page(five_lines, officer, master, make_officer):
    signed_remarks(officer, range(7))
    with pytest.raises(PermissionDenied):
        record.sign_page(1, user=officer, password=PASSWORD)
    chief = make_officer("chief", rank="Chief Engineer", group="Chief Engineer")
    with pytest.raises(PermissionDenied):
        record.sign_page(1, user=chief, password=PASSWORD)
    with pytest.raises(ValidationError, match="password"):
        record.sign_page(1, user=master, password="wrong")
    with pytest.raises(ValidationError, match="not complete"):
        record.sign_page(2, user=master, password=PASSWORD)
    signature = record.sign_page(1, user=master, password=PASSWORD)
    fifth = OrbEntry.objects.get(sequence=5)
    assert (signature.last_sequence, signature.chain_head) == (5, fifth.entry_hash)
    assert (signature.master_name, signature.master_rank) == ("B. Master", "Master")
    with pytest.raises(ValidationError, match="already signed"):
        record.sign_page(1, user=master, password=PASSWORD)
    assert AuditEvent.objects.filter(action="page-sign").count() == 1
    assert AuditEvent.objects.filter(action="permission-denied", model="soundings.pagesignature").count() == 2
    assert chain.verify_book().ok


def test_a_signed_page_keeps_its_lines_when_lines_per_page_changes(five_lines, officer, master):
    signed_remarks(officer, range(7))
    record.sign_page(1, user=master, password=PASSWORD)
    VesselParticulars.objects.update(lines_per_page=20)
    pages = record.book_pages()
    assert [len(p.entries) for p in pages] == [5, 2] and pages[0].signature is not None


def test_an_entry_dated_before_the_signed_page_is_late_and_goes_at_the_end(five_lines, officer, master):
    signed_remarks(officer, range(5))  # 1st to 5th of March
    record.sign_page(1, user=master, password=PASSWORD)
    late = signed_remarks(officer, [2])[0]  # 3rd of March, entered after the page was signed
    assert late.is_late and late.sequence == 6
    on_time = signed_remarks(officer, [6])[0]
    assert not on_time.is_late
    pages = record.book_pages()
    assert [e.sequence for e in pages[0].entries] == [1, 2, 3, 4, 5]
    assert [e.sequence for e in pages[1].entries] == [6, 7]


def test_a_correction_after_the_page_was_signed_goes_on_the_current_page(five_lines, officer, master, client):
    wrong = signed_remarks(officer, range(5))[1]
    record.sign_page(1, user=master, password=PASSWORD)
    fix = wrong.correct(user=officer, password=PASSWORD, text="Remark of day 1, right", reason="wrong day")
    assert fix.sequence == 6 and fix.is_late  # dated as the wrong entry, before the page's last date
    pages = record.book_pages()
    assert fix in pages[1].entries and wrong in pages[0].entries
    client.force_login(master)
    first = client.get(reverse("orb_book") + "?page=1").content.decode()
    assert "<del>Remark of day 1</del>" in first and "signed: B. Master, Master" in first
    second = client.get(reverse("orb_book") + "?page=2").content.decode()
    assert "Remark of day 1, right" in second and "wrong day" in second and "[LATE ENTRY]" in second
    assert chain.verify_book().ok
