"""The record in the admin (issue 13): drafts, signing with the password, corrections, the
Master's page signature, refusals written to the audit trail, corrected entries struck through."""

import pytest
from django.urls import reverse

from orb.models import VesselParticulars
from soundings.models import AuditEvent, OrbEntry, PageSignature
from tests.conftest import PASSWORD, at, record_sounding, sign_all


def url(name, *args):
    return reverse(f"admin:soundings_{name}", args=args)


@pytest.fixture
def draft(tanks):
    return record_sounding(tanks["17S"], feet=1, inches=0).entries.order_by("id").first()


def test_an_engineer_signs_a_draft_with_the_password(client, officer, draft):
    client.force_login(officer)
    page = client.get(url("orbentry_change", draft.pk)).content.decode()
    assert url("orbentry_sign", draft.pk) in page and url("orbentry_discard", draft.pk) in page
    wrong = client.post(url("orbentry_sign", draft.pk), {"password": "wrong"})
    assert wrong.status_code == 200 and "password is not right" in wrong.content.decode()
    assert OrbEntry.objects.get(pk=draft.pk).state == "draft"
    done = client.post(url("orbentry_sign", draft.pk), {"password": PASSWORD})
    assert done.status_code == 302
    signed = OrbEntry.objects.get(pk=draft.pk)
    assert signed.state == "signed" and signed.signed_by == officer and signed.signer_name == "J. Smith"


def test_the_sign_page_has_one_title_and_the_book_s_dates(client, officer, draft):
    from orb.shiptime import format_ship_date

    client.force_login(officer)
    page = client.get(url("orbentry_sign", draft.pk)).content.decode()
    day = format_ship_date(draft.entry_date)
    assert page.count("<h1>") == 1 and str(draft).startswith(f"{day} C ")
    assert draft.entry_date.isoformat() not in page


def test_a_signed_entry_cannot_be_changed_or_deleted_and_the_refusal_is_recorded(client, officer, draft, make_user):
    sign_all([draft], officer)
    client.force_login(make_user("root", superuser=True))
    assert client.post(url("orbentry_change", draft.pk), {"code": "I", "text": "x"}).status_code == 403
    assert client.post(url("orbentry_delete", draft.pk), {"post": "yes"}).status_code == 403
    assert client.post(url("orbentry_discard", draft.pk)).status_code == 403
    assert OrbEntry.objects.get(pk=draft.pk).text == draft.text
    denied = AuditEvent.objects.filter(action="permission-denied", model="soundings.orbentry", object_id=str(draft.pk))
    assert denied.count() == 3 and denied.first().username == "root"


def test_a_draft_is_discarded_on_its_own_page(client, officer, draft):
    client.force_login(officer)
    assert client.get(url("orbentry_delete", draft.pk)).status_code == 403  # nothing is deleted here
    assert client.post(url("orbentry_discard", draft.pk)).status_code == 302
    assert not OrbEntry.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.get(action="discard").username == "smith"


def test_a_correction_in_the_admin_strikes_the_wrong_entry_through(client, officer, draft):
    sign_all([draft], officer)
    client.force_login(officer)
    response = client.post(
        url("orbentry_correct", draft.pk), {"text": "17P Oily Water Tank", "reason": "wrong tank", "password": PASSWORD}
    )
    assert response.status_code == 302
    fix = OrbEntry.objects.get(corrects=draft)
    assert fix.is_signed and fix.correction_reason == "wrong tank"
    listing = client.get(url("orbentry_changelist")).content.decode()
    assert '<del class="corrected">17S Dirty Oil Tank</del>' in listing and "wrong tank" in listing


def test_only_the_master_signs_pages_in_the_admin(client, officer, make_officer, tanks):
    # ten lines: five entries of one line of text, each with its signature line (soundings.pages)
    VesselParticulars.objects.create(name="MV Test", imo_number="9074729", lines_per_page=10)
    for day in (16, 17):
        sign_all(record_sounding(tanks["17S"], feet=1, inches=0, when=at(2025, 3, day, 10)).entries.all(), officer)
    client.force_login(officer)
    assert client.get(url("pagesignature_sign")).status_code == 403
    assert AuditEvent.objects.filter(action="permission-denied", model="soundings.pagesignature").exists()
    master = make_officer("master", first="B.", last="Master", rank="Master", group="Master")
    client.force_login(master)
    assert "waiting for your signature: 1" in client.get(url("pagesignature_sign")).content.decode()
    assert client.post(url("pagesignature_sign"), {"page_number": 1, "password": PASSWORD}).status_code == 302
    assert PageSignature.objects.get().last_sequence == 5


def test_the_inspector_reads_the_book_and_signs_nothing(client, make_officer, draft):
    inspector = make_officer("psc", rank="PSC officer", group="Inspector")
    client.force_login(inspector)
    assert client.get(url("orbentry_changelist")).status_code == 200
    assert client.post(url("orbentry_sign", draft.pk), {"password": PASSWORD}).status_code == 403
    assert OrbEntry.objects.get(pk=draft.pk).state == "draft"


def test_a_corrected_entry_is_struck_through_on_its_own_page(client, officer, draft):
    sign_all([draft], officer)
    draft.correct(user=officer, password=PASSWORD, text="17P Oily Water Tank", reason="wrong tank")
    client.force_login(officer)
    page = client.get(url("orbentry_change", draft.pk)).content.decode()
    assert '<del class="corrected">17S Dirty Oil Tank</del>' in page and "signed: J. Smith" in page


def test_the_sounding_page_shows_its_entries_as_the_book_does(client, officer, draft):
    """Every view of the book (DOMAIN.md): the ship's date as dd-MON-yyyy, the signature line with
    its date, and a corrected entry struck through; here the weekly sounding's page."""
    sign_all([draft], officer)
    draft.correct(user=officer, password=PASSWORD, text="17P Oily Water Tank", reason="wrong tank")
    client.force_login(officer)
    page = client.get(url("weeklysounding_change", draft.sounding_id)).content.decode()
    assert "16-MAR-2025</span>" in page
    assert f'<del class="corrected">{draft.text}</del>' in page
    assert "signed: J. Smith, 2nd Engineer, " in page
