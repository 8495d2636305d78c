"""Exports of the book (issue 14): the selection (range, code, whole pages), the CSV (one row per
entry, formula cells neutralised), the PDF read back with pypdf, the book page's downloads."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from pypdf import PdfReader

from orb.models import VesselParticulars
from soundings import pages, record
from soundings.export import Selection, SelectionError, export, parse_format
from soundings.export.to_csv import COLUMNS, neutralise
from soundings.models import OrbEntry
from tests.conftest import PASSWORD, at


@pytest.fixture
def book(db, make_officer):
    """Ten-line pages: page 1 (entries 1-4, 1 to 4 March, signed by the Master), page 2 (5-7: 7 corrects 3)."""
    VesselParticulars.objects.create(name="MV Test Star", imo_number="9074729", call_sign="WTST", lines_per_page=10)
    officer = make_officer("smith", group="Engineer")
    master = make_officer("master", first="B.", last="Master", rank="Master", group="Master")
    texts = [
        ("C", "11.1", "17S Dirty Oil Tank (IOPP 3.1)"),
        ("C", "11.2", "6.08 m³"),
        ("C", "11.3", "2.34 m³"),
        ("I", "", "Weekly inventory of bilge water holding tank 17P: 1.22 m³ retained."),
        ("H", "26.1", "Port Fourchon"),
        ("I", "", "=SUM(A1:A9) typed as a remark"),
    ]
    entries = []
    for day, (code, item, text) in enumerate(texts, start=1):
        entry = OrbEntry(code=code, item=item, text=text, instant=at(2025, 3, day, 12))
        entry.save()
        entries.append(entry.sign(user=officer, password=PASSWORD))
        if day == 5:  # page 1 (9 lines) is complete once entry 5 (2 lines) had to start page 2
            record.sign_page(1, user=master, password=PASSWORD)
    fix = entries[2].correct(user=officer, password=PASSWORD, text="2.43 m³", reason="sounding misread")
    return {"entries": entries, "fix": fix, "officer": officer, "master": master}


def test_dates_codes_and_formats_are_read_or_refused_in_one_sentence(db):
    chosen = Selection.parse(start="2025-03-02", end="16-mar-2025", code="c")
    assert chosen == Selection(date(2025, 3, 2), date(2025, 3, 16), "C")
    with pytest.raises(SelectionError, match=r"^The start date '2025-13-01' is not a date; write it as"):
        Selection.parse(start="2025-13-01")
    with pytest.raises(SelectionError, match=r"^There is no code 'Z' in the book; use one of A, B, C"):
        Selection.parse(code="Z")
    with pytest.raises(SelectionError, match=r"starts after it ends \(16-MAR-2025 is after 01-MAR-2025\)"):
        Selection.parse(start="2025-03-16", end="2025-03-01")
    with pytest.raises(SelectionError, match="use pdf, csv or html"):
        parse_format("docx")


def test_a_range_prints_whole_pages_numbered_as_in_the_book(book):
    whole = pages.read_book()
    assert [p.number for p in Selection(date(2025, 3, 5), None, None).pages(whole)] == [2]
    assert [p.number for p in Selection(None, None, "H").pages(whole)] == [2]
    chosen = Selection(date(2025, 3, 2), date(2025, 3, 2), None).pages(whole)
    assert [p.number for p in chosen] == [1] and [e.sequence for e in chosen[0].entries] == [1, 2, 3, 4]
    with pytest.raises(SelectionError, match="No signed entry in the book matches entries of code G"):
        export("pdf", Selection(None, None, "G"))


def read_csv(data):
    assert data.startswith(b"\xef\xbb\xbf")  # a byte order mark: spreadsheets read m³ right
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_has_one_row_per_entry_with_signatures_and_correction_links(book):
    data, content_type = export("csv", Selection())
    rows = read_csv(data)
    assert content_type.startswith("text/csv") and list(rows[0]) == COLUMNS
    assert [int(r["sequence"]) for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    wrong, fix = rows[2], rows[6]
    assert (wrong["struck_through"], wrong["corrected_by_sequence"]) == ("yes", "7")
    assert (fix["corrects_sequence"], fix["correction_reason"], fix["late_entry"]) == ("3", "sounding misread", "yes")
    assert wrong["page"] == "1" and fix["page"] == "2"
    assert wrong["page_master_signature"].startswith("signed: B. Master, Master, ")
    assert wrong["page_chain_head"] == book["entries"][3].entry_hash and fix["page_chain_head"] == ""
    assert wrong["signature"].startswith("signed: J. Smith, 2nd Engineer, ")
    assert (wrong["entry_date"], wrong["code"], wrong["item"], wrong["text"]) == ("03-MAR-2025", "C", "11.3", "2.34 m³")
    assert wrong["entry_hash"] == book["entries"][2].entry_hash
    only_c = read_csv(export("csv", Selection(None, None, "C"))[0])
    assert [r["sequence"] for r in only_c] == ["1", "2", "3", "7"]


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(book):
    rows = read_csv(export("csv", Selection())[0])
    assert rows[5]["text"] == "'=SUM(A1:A9) typed as a remark"
    for start in "=+-@\t\r":
        assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise("2.34 m³") == "2.34 m³" and neutralise(None) == ""
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())


def pdf_pages(data):
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_pdf_holds_every_page_with_its_header_lines_and_signature_box(book):
    data, content_type = export("pdf", Selection())
    assert content_type == "application/pdf" and data.startswith(b"%PDF-")
    texts = pdf_pages(data)
    assert len(texts) == 2
    for number, text in enumerate(texts, start=1):
        assert "OIL RECORD BOOK — PART I" in text and f"Page {number}" in text
        assert "Name of ship: MV Test Star" in text and "IMO number: 9074729" in text and "Call sign: WTST" in text
        assert "Master's signature" in text and "Working copy" in text
    first, second = texts
    assert "signed: B. Master, Master, " in first and "signed: B. Master" not in second
    assert "[struck through: corrected by entry 7, page 2]" in first
    assert "03-MAR-2025" in first and "2.34 m³" in first and "Chain: verified, as the Master signed it" in first
    assert "[LATE ENTRY] 2.43 m³" in second and "sounding misread" in second
    assert f"Chain head at entry 7: {book['fix'].entry_hash}" in second


def test_the_book_page_offers_downloads_for_a_range_and_a_code(book, client):
    client.force_login(book["master"])
    html = client.get(reverse("orb_book") + "?page=1").content.decode()
    assert reverse("orb_book_export") in html and 'name="code"' in html and 'name="start"' in html
    response = client.get(reverse("orb_book_export"), {"format": "pdf", "start": "2025-03-05", "code": "H"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="orb-part1-2025-03-05-H.pdf"'
    assert [t.split("\n")[0] for t in pdf_pages(response.content)] == [
        "OIL RECORD BOOK — PART I — Machinery space operations Page 2"
    ]
    csv_download = client.get(reverse("orb_book_export"), {"format": "csv", "code": "C"})
    assert [r["sequence"] for r in read_csv(csv_download.content)] == ["1", "2", "3", "7"]
    html_download = client.get(reverse("orb_book_export"), {"format": "html"}).content.decode()
    assert html_download.count('class="book-page"') == 2 and "<del>2.34 m³</del>" in html_download


def test_bad_download_input_is_one_sentence_next_to_its_field(book, client):
    client.force_login(book["master"])
    response = client.get(reverse("orb_book_export"), {"format": "pdf", "start": "31/02/2025"})
    assert response.status_code == 400
    assert "The start date &#x27;31/02/2025&#x27; is not a date" in response.content.decode()
    response = client.get(reverse("orb_book_export"), {"format": "csv", "start": "2025-03-09", "end": "2025-03-01"})
    assert response.status_code == 400 and "The end date is before the start date" in response.content.decode()
    response = client.get(reverse("orb_book_export"), {"format": "csv", "start": "2030-01-01"})
    assert response.status_code == 400 and "nothing was written" in response.content.decode()


def test_downloads_need_the_book_view_permission(db, client, make_user):
    client.force_login(make_user("nobody"))
    assert client.get(reverse("orb_book_export"), {"format": "csv"}).status_code == 403


def test_the_book_view_shows_the_sludge_warnings_when_there_are_some(book, client, monkeypatch):
    from soundings import consistency

    class Warning:
        text = "17S fell from 2.34 m³ to 1.10 m³ between 01-MAR-2025 and 08-MAR-2025 with no 12.x entry."

    monkeypatch.setattr(consistency, "sludge_warnings", lambda: [Warning()])
    client.force_login(book["master"])
    assert Warning.text in client.get(reverse("orb_book")).content.decode()


def test_an_entry_of_a_later_day_moves_no_signed_page(book):
    later = OrbEntry(code="I", text="later", instant=at(2025, 3, 9, 12) + timedelta(hours=1))
    later.save()
    later.sign(user=book["officer"], password=PASSWORD)
    whole = pages.read_book()
    assert [e.sequence for e in whole.pages[0].entries] == [1, 2, 3, 4]


def test_a_file_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    from soundings.export import output

    target = tmp_path / "book.pdf"
    target.write_bytes(b"the previous export")

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "replace", full_disk)
    with pytest.raises(output.OutputError, match=r"^Could not write .*book.pdf: No space left on device; nothing"):
        output.write_atomically(target, b"%PDF- new")
    assert target.read_bytes() == b"the previous export" and sorted(p.name for p in tmp_path.iterdir()) == ["book.pdf"]
    monkeypatch.undo()
    output.write_atomically(target, b"%PDF- new")
    assert target.read_bytes() == b"%PDF- new" and sorted(p.name for p in tmp_path.iterdir()) == ["book.pdf"]
