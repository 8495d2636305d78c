"""The record's workflow: signing an entry, the Chief Engineer's review, corrections, the book's
pages and the Master's page signature. docs/RECORD.md tells the rules; the models call these.

Everyone signs for themselves: the user passed in is the logged-in user (the admin passes
request.user) and must give their password again.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from soundings import audit, chain

# The page model lives in soundings.pages; these names stay importable from here for callers.
from soundings.pages import Page, book_pages, lines_per_page  # noqa: F401

CHIEF_ENGINEER = "Chief Engineer"
MASTER = "Master"


def _check_password(user, password, what):
    if user is None or not user.is_authenticated or not user.check_password(password or ""):
        raise ValidationError(f"The password is not right; {what} needs your own password again.", code="password")


def _in_group(user, name):
    return user.groups.filter(name=name).exists()


def _offset_minutes(instant):
    from orb.shiptime import offset_at

    return int(offset_at(instant).total_seconds() // 60)


def _lock_book():
    """One signer at a time takes the next sequence (the database backend serialises the
    transactions: an advisory lock, or its single writer)."""
    from django.db import connection

    from soundings.guards import lock_book

    lock_book(connection)


def last_signed():
    from soundings.models import OrbEntry

    return OrbEntry._base_manager.exclude(sequence=None).order_by("-sequence").first()


def last_signed_page():
    from soundings.models import PageSignature

    return PageSignature.objects.order_by("-page_number").first()


def late_before():
    """Entries dated before this date are late: the date of the last signed page's last entry."""
    from soundings.models import OrbEntry

    page = last_signed_page()
    if page is None:
        return None
    return OrbEntry._base_manager.filter(sequence=page.last_sequence).values_list("entry_date", flat=True).first()


def _sign(entry, user, *, corrects=None, reason=""):
    from orb.people import signer_identity
    from orb.shiptime import check_not_in_future

    name, rank = signer_identity(user)
    check_not_in_future(entry.instant)
    _lock_book()
    prev = last_signed()
    now = timezone.now()
    entry.set_ship_date()
    entry.sequence = (prev.sequence if prev else 0) + 1
    entry.state = entry.State.SIGNED
    entry.signed_by = user
    entry.signer_name, entry.signer_rank = name, rank
    entry.signed_at = now
    entry.signed_offset_minutes = _offset_minutes(now)
    cutoff = late_before()
    entry.is_late = cutoff is not None and entry.entry_date < cutoff
    if corrects is not None:
        entry.corrects, entry.correction_reason = corrects, reason
    entry.signed_content = chain.canonical(entry)
    entry.entry_hash = chain.digest(prev.entry_hash if prev else chain.GENESIS, entry.signed_content)
    entry._signing = True
    try:
        entry.save()
    finally:
        entry._signing = False
    return entry


def sign(entry, *, user, password):
    """Sign a complete draft: it becomes the book's next line, for good."""
    from soundings.models import OrbEntry

    _check_password(user, password, "signing")
    with transaction.atomic():
        stored = OrbEntry._base_manager.select_for_update().get(pk=entry.pk)
        if stored.is_signed:
            raise ValidationError(f"Entry {stored.sequence} is already signed.", code="signed")
        entry.full_clean()
        old = audit.snapshot(stored)
        _sign(entry, user)
        audit.record(audit.SIGN, entry, user=user, old=old, new=audit.snapshot(entry))
    return entry


def correct(wrong, *, user, password, text, reason, code=None, item=None, instant=None):
    """A new signed entry that corrects the signed entry ``wrong`` (which stays, struck through)."""
    from soundings.models import OrbEntry

    _check_password(user, password, "a correction")
    if not wrong.is_signed:
        raise ValidationError("A draft is changed or discarded, not corrected; only signed entries are corrected.")
    if not (reason or "").strip():
        raise ValidationError("Say why the entry is wrong: a correction needs a reason.", code="reason")
    if wrong.corrections.filter(state="signed").exists():
        raise ValidationError(f"Entry {wrong.sequence} is already corrected; correct the correction instead.")
    with transaction.atomic():
        entry = OrbEntry(
            instant=instant or wrong.instant,
            code=code or wrong.code,
            item=wrong.item if item is None else item,
            text=text,
            created_by=user,
        )
        entry.full_clean()
        entry.save()
        _sign(entry, user, corrects=wrong, reason=reason.strip())
        audit.record(
            audit.CORRECT,
            wrong,
            user=user,
            old=audit.snapshot(wrong),
            new=audit.snapshot(entry),
            note=f"corrected by entry {entry.sequence}: {entry.correction_reason}",
        )
    return entry


def review(entry, *, user, password):
    """The Chief Engineer's review of a signed entry (a superuser may review too)."""
    from orb.people import signer_identity
    from soundings.models import EntryReview

    if not (user.is_superuser or _in_group(user, CHIEF_ENGINEER)):
        audit.record(audit.PERMISSION_DENIED, entry, user=user, note="review: not the Chief Engineer")
        raise PermissionDenied("Only the Chief Engineer reviews entries.")
    _check_password(user, password, "a review")
    if not entry.is_signed:
        raise ValidationError("Only a signed entry is reviewed; sign it first.")
    if EntryReview.objects.filter(entry=entry).exists():
        raise ValidationError(f"Entry {entry.sequence} is already reviewed.")
    name, rank = signer_identity(user)
    with transaction.atomic():
        done = EntryReview.objects.create(
            entry=entry, reviewer_name=name, reviewer_rank=rank, reviewed_at=timezone.now(), created_by=user
        )
        audit.record(audit.REVIEW, entry, user=user, new=audit.snapshot(done))
    return done


# --- pages ---------------------------------------------------------------------------------


def sign_page(number, *, user, password):
    """The Master signs a completed page (pages are signed in order)."""
    from orb.people import signer_identity
    from soundings.models import PageSignature

    if not _in_group(user, MASTER):
        audit.record(
            audit.PERMISSION_DENIED,
            model=PageSignature,
            object_id=number,
            user=user,
            note=f"page {number}: only the Master signs pages",
        )
        raise PermissionDenied("Only the Master signs the book's pages.")
    _check_password(user, password, "a page signature")
    name, rank = signer_identity(user)
    with transaction.atomic():
        _lock_book()
        pages = {page.number: page for page in book_pages()}
        page = pages.get(number)
        if page is None or not page.entries:
            raise ValidationError(f"The book has no page {number} yet.")
        if page.signature is not None:
            raise ValidationError(f"Page {number} is already signed.")
        if not page.complete:
            raise ValidationError(
                f"Page {number} is not complete ({page.lines_used} of {page.lines_per_page} lines written); "
                "the Master signs completed pages only."
            )
        if number > 1 and pages[number - 1].signature is None:
            raise ValidationError(f"Sign page {number - 1} first: pages are signed in order.")
        now = timezone.now()
        last = page.entries[-1]
        signature = PageSignature.objects.create(
            page_number=number,
            first_sequence=page.first_sequence,
            last_sequence=last.sequence,
            chain_head=last.entry_hash,
            master=user,
            master_name=name,
            master_rank=rank,
            signed_at=now,
            signed_offset_minutes=_offset_minutes(now),
        )
        audit.record(audit.PAGE_SIGN, signature, user=user, new=audit.snapshot(signature))
    return signature
