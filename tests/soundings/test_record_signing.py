"""Entry states, signing with the password, the Chief Engineer's review, corrections (issue 13)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from orb.models import ShipTimeOffset
from soundings import chain
from soundings.models import AuditEvent, EntryReview, OrbEntry, WeeklySounding
from tests.conftest import PASSWORD, at, record_sounding, sign_all


def remark(text="Remark", when=None, **extra):
    entry = OrbEntry(code="I", text=text, instant=when or at(2025, 3, 16, 10, 0), **extra)
    entry.save()
    return entry


def test_sounding_entries_are_drafts_until_signed(tanks):
    sounding = record_sounding(tanks["17S"], feet=1, inches=0)
    assert set(sounding.entries.values_list("state", flat=True)) == {"draft"}
    assert not sounding.entries.exclude(sequence=None).exists()


def test_a_draft_is_changed_and_discarded(db):
    entry = remark()
    entry.text = "Remark, better"
    entry.save()
    assert OrbEntry.objects.get().text == "Remark, better"
    entry.discard(user=None)
    assert not OrbEntry.objects.exists()
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == ["create", "discard"]


def test_signing_freezes_the_signer_and_dates_the_signature(officer):
    ShipTimeOffset.objects.create(effective_from=at(2025, 1, 1), offset_minutes=-360)
    entry = remark(when=at(2025, 3, 17, 3, 0))  # 16-MAR-2025 21:00 ship time
    assert entry.entry_date.isoformat() == "2025-03-16" and entry.ship_offset_minutes == -360
    entry.sign(user=officer, password=PASSWORD)
    stored = OrbEntry.objects.get()
    assert stored.state == "signed" and stored.sequence == 1 and stored.signed_by == officer
    assert (stored.signer_name, stored.signer_rank) == ("J. Smith", "2nd Engineer")
    assert stored.signed_at <= timezone.now() and stored.signed_offset_minutes == -360
    day = (stored.signed_at + timedelta(minutes=-360)).date()
    from orb.shiptime import format_ship_date

    assert stored.signature_line == f"signed: J. Smith, 2nd Engineer, {format_ship_date(day)}"
    assert stored.entry_hash == chain.entry_hash(stored, chain.GENESIS)
    officer.profile.rank = "Chief Engineer"
    officer.profile.save()
    assert OrbEntry.objects.get().signer_rank == "2nd Engineer"  # frozen


def test_signing_asks_for_the_password_and_a_rank(officer, make_user):
    entry = remark()
    with pytest.raises(ValidationError, match="password is not right"):
        entry.sign(user=officer, password="wrong")
    with pytest.raises(ValidationError, match="no rank"):
        entry.sign(user=make_user("norank"), password="pw-norank")
    assert OrbEntry.objects.get().state == "draft"
    entry.sign(user=officer, password=PASSWORD)
    with pytest.raises(ValidationError, match="already signed"):
        OrbEntry.objects.get().sign(user=officer, password=PASSWORD)


def test_an_entry_in_the_future_is_refused(officer):
    entry = OrbEntry(code="I", text="Tomorrow", instant=timezone.now() + timedelta(hours=1))
    with pytest.raises(ValidationError, match="future"):
        entry.full_clean()
    entry.save()  # a draft may hold it; signing refuses
    with pytest.raises(ValidationError, match="future"):
        entry.sign(user=officer, password=PASSWORD)
    soon = remark(when=timezone.now() + timedelta(minutes=2))  # clock slack
    soon.sign(user=officer, password=PASSWORD)


def test_signed_entries_are_sequenced_and_chained_in_signing_order(officer, tanks):
    sounding = record_sounding(tanks["17S"], feet=1, inches=0)
    signed = sign_all(sounding.entries.all(), officer)
    assert [e.sequence for e in signed] == [1, 2, 3]
    assert signed[1].entry_hash == chain.entry_hash(signed[1], signed[0].entry_hash)
    assert chain.verify_book().ok and chain.verify_book().head == signed[2].entry_hash


def test_a_signed_entry_is_never_changed_or_discarded(officer):
    entry = remark()
    entry.sign(user=officer, password=PASSWORD)
    entry.text = "changed"
    with pytest.raises(ValidationError, match="never altered"):
        entry.save()
    with pytest.raises(ValidationError, match="never deleted"):
        entry.discard(user=officer)
    assert OrbEntry.objects.get().text == "Remark"
    assert AuditEvent.objects.filter(action="refused-change").count() == 2


def test_only_the_chief_engineer_reviews(officer, make_officer):
    entry = remark()
    entry.sign(user=officer, password=PASSWORD)
    with pytest.raises(PermissionDenied):
        entry.review(user=officer, password=PASSWORD)
    chief = make_officer("chief", first="A.", last="Chief", rank="Chief Engineer", group="Chief Engineer")
    with pytest.raises(ValidationError, match="password"):
        entry.review(user=chief, password="wrong")
    review = entry.review(user=chief, password=PASSWORD)
    assert review.reviewer_name == "A. Chief" and EntryReview.objects.get().entry == entry
    with pytest.raises(ValidationError, match="already reviewed"):
        entry.review(user=chief, password=PASSWORD)
    assert chain.verify_book().ok  # the entry itself is untouched
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {"sign", "review", "permission-denied"}


def test_a_correction_is_a_new_signed_entry_and_the_wrong_one_stays(officer):
    wrong = remark("Wrong")
    wrong.sign(user=officer, password=PASSWORD)
    with pytest.raises(ValidationError, match="reason"):
        wrong.correct(user=officer, password=PASSWORD, text="Right", reason=" ")
    fix = wrong.correct(user=officer, password=PASSWORD, text="Right", reason="wrong tank")
    assert fix.is_signed and fix.sequence == 2 and fix.corrects == wrong and fix.correction_reason == "wrong tank"
    wrong.refresh_from_db()
    assert wrong.text == "Wrong" and wrong.is_corrected and not fix.is_corrected
    with pytest.raises(ValidationError, match="already corrected"):
        wrong.correct(user=officer, password=PASSWORD, text="Again", reason="x")
    draft = remark("Draft")
    with pytest.raises(ValidationError, match="draft"):
        draft.correct(user=officer, password=PASSWORD, text="x", reason="y")
    event = AuditEvent.objects.get(action="correct")
    assert event.object_id == str(wrong.pk) and event.new_data["text"] == "Right" and event.old_data["text"] == "Wrong"
    assert chain.verify_book().ok


def test_every_step_is_in_the_audit_trail(officer, tanks):
    sounding = record_sounding(tanks["17S"], feet=1, inches=0)
    sign_all(sounding.entries.all(), officer)
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "model"))
    assert actions.count(("create", "soundings.orbentry")) == 3
    assert actions.count(("sign", "soundings.orbentry")) == 3
    sign_event = AuditEvent.objects.filter(action="sign").first()
    assert (
        sign_event.username == "smith"
        and sign_event.old_data["state"] == "draft"
        and sign_event.new_data["state"] == "signed"
    )
    with pytest.raises(ValidationError):
        WeeklySounding.objects.all().delete()
    assert AuditEvent.objects.filter(action="refused-change", model="soundings.weeklysounding").exists()
