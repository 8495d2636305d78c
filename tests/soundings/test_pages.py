"""The book's pages (issue 14): what a line is, fixed pages numbered without a gap, signed pages
kept as signed, the marks of late and corrected entries, each page's chain head and its state."""

from datetime import timedelta

import pytest
from django.db import connection

from orb.models import VesselParticulars
from soundings import guards, pages, record
from soundings.models import OrbEntry
from tests.conftest import PASSWORD, at

FIRST_DAY = at(2025, 3, 1, 12, 0)
LONG = "Sludge from the purifier drained to 17S Dirty Oil Tank after the weekly cleaning " * 2  # 164 chars


@pytest.fixture
def ten_lines(db):
    return VesselParticulars.objects.create(name="MV Test", imo_number="9074729", call_sign="WTST", lines_per_page=10)


@pytest.fixture
def master(make_officer):
    return make_officer("master", first="B.", last="Master", rank="Master", group="Master")


def sign(user, texts, *, start=FIRST_DAY, code="I"):
    """Sign one entry per text, a day apart; returns them."""
    done = []
    for day, text in enumerate(texts):
        entry = OrbEntry(code=code, text=text, instant=start + timedelta(days=day))
        entry.save()
        done.append(entry.sign(user=user, password=PASSWORD))
    return done


def test_a_line_is_64_characters_of_text_and_the_signature_is_a_line_of_its_own(ten_lines, officer):
    short, long = sign(officer, ["6.08 m³", LONG])
    assert pages.text_lines(short) == ["6.08 m³"] and pages.lines_of(short) == 2
    wrapped = pages.text_lines(long)
    assert len(wrapped) == 3 and all(len(line) <= pages.RECORD_COLUMN_CHARS for line in wrapped)
    assert " ".join(wrapped) == LONG.strip()  # wrapped at spaces: nothing lost, no word cut
    assert pages.lines_of(long) == 4


def test_pages_are_filled_line_by_line_and_an_entry_is_never_split(ten_lines, officer):
    # 2 + 4 + 2 = 8 lines; the next 4-line entry does not fit in the 2 left: page 2 starts.
    sign(officer, ["one", LONG, "three", LONG, "five"])
    book = pages.read_book()
    assert [[e.sequence for e in p.entries] for p in book.pages] == [[1, 2, 3], [4, 5]]
    assert [p.number for p in book.pages] == [1, 2]
    assert [p.lines_used for p in book.pages] == [8, 6]
    assert [p.complete for p in book.pages] == [True, False]
    # every page prints exactly its lines_per_page lines: the rest are blank
    assert [len(p.lines) for p in book.pages] == [10, 10]
    assert [line.blank for line in book.pages[0].lines[-2:]] == [True, True]


def test_a_page_filled_to_its_last_line_is_complete(ten_lines, officer):
    sign(officer, ["a", "b", "c", "d", "e"])
    [page] = pages.read_book().pages
    assert page.lines_used == 10 and page.complete


def test_an_entry_longer_than_a_page_has_a_page_of_its_own(ten_lines, officer):
    sign(officer, ["before", LONG * 4, "after"])
    book = pages.read_book()
    assert [[e.sequence for e in p.entries] for p in book.pages] == [[1], [2], [3]]
    assert len(book.pages[1].lines) == book.pages[1].lines_used > 10  # printed whole, never cut


def test_the_first_line_carries_date_code_and_item_and_the_last_the_signature(ten_lines, officer):
    entry = OrbEntry(code="C", item="11.3", text="2.34 m³", instant=at(2025, 3, 17, 2, 30))
    entry.save()
    entry.sign(user=officer, password=PASSWORD)
    first, signature = pages.read_book().pages[0].lines[:2]
    assert (first.date, first.code, first.item, first.text) == ("17-MAR-2025", "C", "11.3", "2.34 m³")
    assert signature.signature and signature.text.startswith("signed: J. Smith, 2nd Engineer, ")
    assert (signature.date, signature.code, signature.item) == ("", "", "")


def test_signed_pages_stay_as_signed_and_later_pages_follow_without_a_gap(ten_lines, officer, master):
    sign(officer, ["a", "b", "c", "d", "e", "f", "g"])
    record.sign_page(1, user=master, password=PASSWORD)
    VesselParticulars.objects.update(lines_per_page=6)
    book = pages.read_book()
    assert [[e.sequence for e in p.entries] for p in book.pages] == [[1, 2, 3, 4, 5], [6, 7]]
    assert book.pages[0].signature is not None and book.pages[0].master_signature_line.startswith(
        "signed: B. Master, Master, "
    )
    assert [p.number for p in book.pages] == [1, 2]
    assert book.pages[1].lines_per_page == 6 and len(book.pages[1].lines) == 6


def test_a_correction_strikes_the_wrong_entry_without_moving_a_line(ten_lines, officer, master):
    wrong = sign(officer, ["a", "2.34 m³", "c", "d", "e"])[1]
    record.sign_page(1, user=master, password=PASSWORD)
    before = [(line.entry and line.entry.pk, line.text) for line in pages.read_book().pages[0].lines]
    fix = wrong.correct(user=officer, password=PASSWORD, text="2.43 m³", reason="sounding misread")
    book = pages.read_book()
    first, second = book.pages
    assert [(line.entry and line.entry.pk, line.text) for line in first.lines] == before
    struck = [line for line in first.lines if line.entry == wrong]
    assert [line.struck for line in struck] == [True, False]  # the text struck, the signature not
    assert struck[-1].mark == f"[struck through: corrected by entry {fix.sequence}, page 2]"
    assert second.entries == [fix]
    assert second.lines[0].text.startswith("[LATE ENTRY] 2.43 m³ (Correction of entry 2, 02-MAR-2025 I")
    assert "reason: sounding misread" in " ".join(line.text for line in second.lines)


def test_each_page_shows_its_chain_head_and_that_it_verifies(ten_lines, officer, master):
    entries = sign(officer, ["a", "b", "c", "d", "e", "f"])
    record.sign_page(1, user=master, password=PASSWORD)
    book = pages.read_book()
    assert [p.chain_head for p in book.pages] == [entries[4].entry_hash, entries[5].entry_hash]
    assert [p.chain_verified for p in book.pages] == [True, True]
    assert book.pages[0].chain_note == "verified, as the Master signed it"


def test_a_page_after_a_broken_entry_says_not_verified(ten_lines, officer):
    sign(officer, ["a", "b", "c", "d", "e", "f", "g"])
    with guards.test_bypass(connection), connection.cursor() as cursor:
        cursor.execute("UPDATE soundings_orbentry SET text = 'changed by hand' WHERE sequence = 6")
    book = pages.read_book()
    assert [p.chain_verified for p in book.pages] == [True, False]
    assert book.pages[1].chain_note == "NOT VERIFIED: the chain breaks at entry 6"


def test_an_empty_book_is_one_empty_page(ten_lines):
    book = pages.read_book()
    assert len(book.pages) == 1 and book.pages[0].entries == [] and book.pages[0].number == 1
    assert book.pages[0].chain_verified is None


def test_record_keeps_its_page_names_for_its_callers():
    assert record.book_pages is pages.book_pages and record.Page is pages.Page
