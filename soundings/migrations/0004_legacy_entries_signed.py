"""Entries written before signing existed (from weekly soundings) become signed, legacy entries.

Nobody logged in signed them, so they are marked ``legacy=True``: the signer's name and rank are
the officer name and rank typed on the sounding (officer_name, officer_rank), ``signed_at`` is
when the row was written (created_at), the instant is the sounding's recorded_at (or midnight of
the entry's date when there is no sounding), and the ship's offset is settings.TIME_ZONE's at
those instants (the zone their entry_date was computed in). They get sequence numbers and their
place in the hash chain in id order (the order they were written). See docs/RECORD.md.

Reversing leaves the rows as they are (migration 0003's reverse drops the columns).
"""
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations

from soundings import chain


def _minutes(instant):
    return int(instant.astimezone(ZoneInfo(settings.TIME_ZONE)).utcoffset().total_seconds() // 60)


def sign_legacy(apps, schema_editor):
    OrbEntry = apps.get_model("soundings", "OrbEntry")
    using = schema_editor.connection.alias
    prev = chain.GENESIS
    rows = OrbEntry.objects.using(using).filter(sequence=None).select_related("sounding").order_by("id")
    for sequence, entry in enumerate(rows.iterator(chunk_size=500), start=1):
        if entry.sounding_id is not None:
            entry.instant = entry.sounding.recorded_at
        else:
            entry.instant = datetime.combine(entry.entry_date, time(0), ZoneInfo(settings.TIME_ZONE)).astimezone(UTC)
        entry.ship_offset_minutes = _minutes(entry.instant)
        entry.state = "signed"
        entry.legacy = True
        entry.sequence = sequence
        entry.signer_name = entry.officer_name
        entry.signer_rank = entry.officer_rank
        entry.signed_at = entry.created_at
        entry.signed_offset_minutes = _minutes(entry.created_at)
        entry.signed_content = chain.canonical(entry)
        entry.entry_hash = prev = chain.digest(prev, entry.signed_content)
        OrbEntry.objects.using(using).filter(pk=entry.pk).update(
            instant=entry.instant, ship_offset_minutes=entry.ship_offset_minutes, state="signed", legacy=True,
            sequence=sequence, signer_name=entry.signer_name, signer_rank=entry.signer_rank,
            signed_at=entry.signed_at, signed_offset_minutes=entry.signed_offset_minutes,
            signed_content=entry.signed_content, entry_hash=entry.entry_hash,
        )


class Migration(migrations.Migration):

    dependencies = [("soundings", "0003_record_signatures_audit")]

    operations = [migrations.RunPython(sign_legacy, migrations.RunPython.noop)]
