"""manage.py export_orb end to end (issue 14): a real database file with a book that has a signed
page, a correction, late entries and entries of codes C (11.x and 12.x), H and I; the PDF read
back with pypdf and one page rendered with pypdfium2, the CSV and the HTML read back, each against
the entries in the database. Bad input: one sentence, exit non-zero, no file written."""

import csv
import io
import re
from pathlib import Path

import pypdfium2
import pytest
from pypdf import PdfReader

from . import dbfacts

pytestmark = pytest.mark.e2e

# Ten-line pages. Page 1 (entries 1-4) is signed by the Master; entry 7 corrects entry 3 after
# that (a late entry: dated 01-MAR), entry 8 is a late remark whose text starts with "=".
BUILD_BOOK = """
from datetime import datetime, timezone as tz
from django.contrib.auth.models import Group, User
from orb.models import ShipTimeOffset, UserProfile, VesselParticulars
from soundings import record
from soundings.models import OrbEntry

VesselParticulars.objects.create(name="MV Example Star", imo_number="9074729", call_sign="WDX1234", lines_per_page=10)
ShipTimeOffset.objects.create(effective_from=datetime(2025, 1, 1, tzinfo=tz.utc), offset_minutes=-360)

def person(username, first, last, rank, group):
    user = User.objects.create_user(username, password="pw-" + username, first_name=first, last_name=last)
    user.groups.add(Group.objects.get(name=group))
    UserProfile.objects.update_or_create(user=user, defaults={"rank": rank})
    return user

smith = person("smith", "J.", "Smith", "2nd Engineer", "Engineer")
master = person("master", "B.", "Master", "Master", "Master")

def signed(day, hour, code, item, text):
    entry = OrbEntry(instant=datetime(2025, 3, day, hour, tzinfo=tz.utc), code=code, item=item, text=text)
    entry.save()
    return entry.sign(user=smith, password="pw-smith")

signed(2, 2, "C", "11.1", "17S Dirty Oil Tank (IOPP 3.1)")  # 20:00 on 01-MAR, ship time UTC-06:00
signed(2, 2, "C", "11.2", "6.08 m³")
wrong = signed(2, 2, "C", "11.3", "2.34 m³")
signed(2, 16, "I", "", "Weekly inventory of bilge water holding tank(s) (IOPP 3.3): 17P Oily Water Tank, "
       "capacity 6.08 m³, 1.22 m³ retained.")
signed(3, 16, "H", "26.1", "Port Fourchon, Louisiana")
record.sign_page(1, user=master, password="pw-master")
signed(5, 16, "C", "12.1", "1.50 m³ sludge to the reception facility Seaport Waste Services, receipt SW-2025-0117.")
wrong.correct(user=smith, password="pw-smith", text="2.43 m³", reason="sounding misread")
signed(1, 16, "I", "", '=HYPERLINK("http://127.0.0.1/","remark") oily water separator alarm tested.')
signed(6, 16, "C", "12.3", "0.40 m³ incinerated, 3.5 hours")
signed(7, 16, "C", "11.1", "17S Dirty Oil Tank (IOPP 3.1)")
signed(7, 16, "C", "11.2", "6.08 m³")
signed(7, 16, "C", "11.3", "1.10 m³")
signed(7, 16, "C", "11.4", "0.50 m³ collected from the purifier sludge tank")
print(OrbEntry.objects.filter(state="signed").count())
"""

# Which entries each book page holds (ten lines a page; soundings/pages.py says what a line is).
PAGES = {1: [1, 2, 3, 4], 2: [5, 6, 7], 3: [8, 9, 10, 11], 4: [12, 13]}


@pytest.fixture
def book(project):
    built = project.run("shell", "-c", BUILD_BOOK)
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip().splitlines()[-1] == "13", built.stdout
    return project


def signed_entries(project):
    return dbfacts.rows(
        project.db,
        "SELECT sequence, entry_date, code, item, text, entry_hash, corrects_id, is_late FROM soundings_orbentry "
        "WHERE state = 'signed' ORDER BY sequence",
    )


def export(project, *args):
    result = project.run("export_orb", *args)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def book_date(iso):
    year, month, day = iso.split("-")
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    return f"{day}-{months[int(month) - 1]}-{year}"


def flat(text):
    return re.sub(r"\s+", " ", text)


def test_the_whole_book_as_pdf_page_by_page(book, tmp_path):
    before = book.hashes()
    out = tmp_path / "book.pdf"
    result = export(book, "--format", "pdf", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert f"Wrote the whole book as PDF to {out}: book pages 1 to 4 (" in result.stdout
    assert book.hashes() == before  # an export reads; the record is not touched

    texts = [page.extract_text() for page in PdfReader(out).pages]
    assert len(texts) == len(PAGES)
    for number, text in enumerate(texts, start=1):
        assert text.startswith(f"OIL RECORD BOOK — PART I — Machinery space operations Page {number}\n")
        assert (
            "Name of ship: MV Example Star" in text and "IMO number: 9074729" in text and "Call sign: WDX1234" in text
        )
        first, last = PAGES[number][0], PAGES[number][-1]
        assert f"entries {first} to {last}" in text and f"Chain head at entry {last}: " in text
        assert "Master's signature" in text and "Working copy — the paper Oil Record Book" in text
    entries = signed_entries(book)
    hashes = {sequence: entry_hash for sequence, _d, _c, _i, _t, entry_hash, _x, _l in entries}
    for number, text in enumerate(texts, start=1):
        for sequence, day, code, item, entry_text, _h, _corrects, is_late in entries:
            if sequence in PAGES[number]:
                assert flat(entry_text) in flat(text), (number, entry_text)
                assert flat(f"{book_date(day)} {code} {item} ") in flat(text), (number, sequence)
                assert ("[LATE ENTRY] " + entry_text in flat(text)) == bool(is_late)
        assert hashes[PAGES[number][-1]] in text
    # the Master's signature box: filled on the signed page, empty on the others
    assert "signed: B. Master, Master, " in texts[0] and "Chain: verified, as the Master signed it" in texts[0]
    assert all("B. Master" not in text for text in texts[1:])
    # the correction: the wrong entry struck through (a drawn line, and the words), the fix on page 2
    assert "01-MAR-2025 C 11.3 2.34 m³" in texts[0] and "[struck through: corrected by entry 7, page 2]" in texts[0]
    assert "(Correction of entry 3, 01-MAR-2025 C 11.3; reason: sounding misread)" in flat(texts[1])
    assert texts[0].count("signed: J. Smith, 2nd Engineer, ") == 4
    # dates as dd-MON-yyyy on one line, never wrapped
    assert not re.search(r"\d\d-[A-Z]{3}-\n", "\n".join(texts))


def test_a_pdf_page_renders_with_ink_on_it(book, tmp_path):
    out = tmp_path / "book.pdf"
    assert export(book, "--format", "pdf", "--output", str(out)).returncode == 0
    image = pypdfium2.PdfDocument(str(out))[0].render(scale=1).to_pil().convert("L")
    assert image.width in (595, 596) and image.height in (841, 842)  # A4 in points
    dark = sum(image.histogram()[:128])  # pixels darker than mid-grey
    assert 5000 < dark < 595 * 842 // 4, dark  # ruled, written, not blank and not black


def test_a_range_and_a_code_print_whole_pages_numbered_as_in_the_book(book, tmp_path):
    out = tmp_path / "march.pdf"
    result = export(
        book, "--format", "pdf", "--from", "05-MAR-2025", "--to", "2025-03-06", "--code", "c", "--output", str(out)
    )
    assert result.returncode == 0, result.stderr
    texts = [page.extract_text() for page in PdfReader(out).pages]
    assert [re.search(r"Page (\d+)\n", t).group(1) for t in texts] == ["2", "3"]
    assert "Port Fourchon, Louisiana" in texts[0]  # a whole page: the H entry on it too


def test_the_csv_has_one_row_per_entry_and_no_formula(book, tmp_path):
    out = tmp_path / "book.csv"
    assert export(book, "--format", "csv", "--output", str(out)).returncode == 0
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    entries = signed_entries(book)
    assert [int(r["sequence"]) for r in rows] == [e[0] for e in entries]
    pages = {int(r["sequence"]): int(r["page"]) for r in rows}
    assert pages == {sequence: number for number, seqs in PAGES.items() for sequence in seqs}
    by_sequence = {int(r["sequence"]): r for r in rows}
    for sequence, _date, code, item, text, entry_hash, _corrects, is_late in entries:
        row = by_sequence[sequence]
        assert (row["code"], row["item"], row["entry_hash"]) == (code, item, entry_hash)
        assert row["text"] in (text, "'" + text) and row["late_entry"] == ("yes" if is_late else "no")
    assert by_sequence[8]["text"].startswith("'=HYPERLINK(")
    assert (by_sequence[3]["struck_through"], by_sequence[3]["corrected_by_sequence"]) == ("yes", "7")
    assert (by_sequence[7]["corrects_sequence"], by_sequence[7]["correction_reason"]) == ("3", "sounding misread")
    assert by_sequence[1]["time_of_operation_ship"] == "01-MAR-2025 20:00 (UTC-06:00)"
    assert by_sequence[1]["page_master_signature"].startswith("signed: B. Master, Master, ")
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def test_the_html_holds_the_same_pages(book, tmp_path):
    out = tmp_path / "book.html"
    assert export(book, "--format", "html", "--code", "H", "--output", str(out)).returncode == 0
    html = out.read_text(encoding="utf-8")
    assert html.count('<section class="book-page"') == 1 and 'id="page-2"' in html
    assert "Port Fourchon, Louisiana" in html and "MV Example Star" in html and "Master's signature" in html
    everything = tmp_path / "all.html"
    assert export(book, "--format", "html", "--output", str(everything)).returncode == 0
    html = everything.read_text(encoding="utf-8")
    assert html.count('<section class="book-page"') == 4 and "<del>2.34 m³</del>" in html
    assert "[struck through: corrected by entry 7, page 2]" in html and "[LATE ENTRY]" in html


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["--format", "pdf", "--from", "2025-02-30"], "The start date '2025-02-30' is not a date"),
        (["--format", "pdf", "--to", "16/03/2025"], "The end date '16/03/2025' is not a date"),
        (["--format", "pdf", "--code", "Q"], "There is no code 'Q' in the book"),
        (["--format", "pdf", "--from", "2025-03-09", "--to", "2025-03-01"], "The range starts after it ends"),
        (["--format", "docx"], "use pdf, csv or html"),
        (["--format", "csv", "--from", "2031-01-01"], "No signed entry in the book matches entries from 01-JAN-2031"),
    ],
)
def test_bad_input_is_one_sentence_and_no_file(book, tmp_path, args, sentence):
    out = tmp_path / "out.file"
    result = export(book, *args, "--output", str(out))
    assert result.returncode != 0
    assert sentence in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not out.exists() and list(tmp_path.glob(".out.file.*")) == []


def test_an_unwritable_output_is_refused_and_an_old_file_is_kept(book, tmp_path):
    missing = export(book, "--format", "csv", "--output", str(tmp_path / "no" / "such" / "book.csv"))
    assert missing.returncode != 0 and "does not exist; create it or choose another --output" in missing.stderr
    folder = export(book, "--format", "csv", "--output", str(tmp_path))
    assert folder.returncode != 0 and "is a folder; give a file name" in folder.stderr
    assert export(book, "--format", "csv", "--output", "").returncode != 0
    kept = tmp_path / "kept.pdf"
    kept.write_bytes(b"the previous export")
    refused = export(book, "--format", "pdf", "--code", "G", "--output", str(kept))
    assert refused.returncode != 0 and kept.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_no_database_is_refused_without_creating_one(empty_project, tmp_path):
    result = export(empty_project, "--format", "pdf", "--output", str(tmp_path / "book.pdf"))
    assert result.returncode != 0 and "There is no database yet; run manage.py safe_migrate first." in result.stderr
    assert not Path(empty_project.db).exists() and not (tmp_path / "book.pdf").exists()


@pytest.mark.postgres
def test_the_same_book_on_postgresql(pg, tmp_path):
    built = pg.run("shell", "-c", BUILD_BOOK)
    assert built.returncode == 0, built.stderr
    pdf, table = tmp_path / "book.pdf", tmp_path / "book.csv"
    assert export(pg, "--format", "pdf", "--from", "2025-03-05", "--output", str(pdf)).returncode == 0
    texts = [page.extract_text() for page in PdfReader(pdf).pages]
    assert [re.search(r"Page (\d+)\n", t).group(1) for t in texts] == ["2", "3", "4"]
    assert "[LATE ENTRY] 2.43 m³" in texts[0] and "Chain: verified" in texts[0]
    assert export(pg, "--format", "csv", "--output", str(table)).returncode == 0
    rows = list(csv.DictReader(io.StringIO(table.read_bytes().decode("utf-8-sig"))))
    hashes = dict(pg.rows("SELECT sequence, entry_hash FROM soundings_orbentry WHERE state = 'signed'"))
    assert {int(r["sequence"]): r["entry_hash"] for r in rows} == hashes
    assert {int(r["sequence"]): int(r["page"]) for r in rows} == {s: n for n, seqs in PAGES.items() for s in seqs}
