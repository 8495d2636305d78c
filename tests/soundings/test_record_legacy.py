"""Entries written before signing existed become signed legacy entries (migration 0004), hashed
into the chain in id order; the triggers come with 0005 and go when it is undone."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from soundings import chain, guards
from soundings.models import OrbEntry


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_entries_from_before_signing_become_signed_legacy_entries():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("soundings", "0002_orbentry_created_by_not_editable")])
        assert guards.missing(connection) == [] and not guards.installed(connection)
        old = (
            MigrationExecutor(connection)
            .loader.project_state(("soundings", "0002_orbentry_created_by_not_editable"))
            .apps
        )
        Tank = old.get_model("soundings", "Tank")
        Sounding = old.get_model("soundings", "WeeklySounding")
        Entry = old.get_model("soundings", "OrbEntry")
        tank = Tank.objects.create(designation="17S", name="Dirty Oil Tank", iopp_section="3.1", capacity_gallons=1607)
        sounding = Sounding.objects.create(
            tank=tank,
            recorded_at=datetime(2025, 3, 16, 10, tzinfo=UTC),
            feet=1,
            inches=0,
            engineer_name="J. Smith",
            engineer_title="2nd Engineer",
            gallons=323,
            m3=1.2227,
        )
        for item, text in [("11.1", "17S Dirty Oil Tank"), ("11.2", "6.08 m³")]:
            Entry.objects.create(
                entry_date="2025-03-16",
                code="C",
                item=item,
                text=text,
                sounding=sounding,
                officer_name="J. Smith",
                officer_rank="2nd Engineer",
            )
        Entry.objects.create(
            entry_date="2025-03-17", code="I", text="Remark", officer_name="A. Chief", officer_rank="Chief Engineer"
        )
    finally:
        MigrationExecutor(connection).migrate(leaves)
    entries = list(OrbEntry.objects.order_by("sequence"))
    assert [(e.sequence, e.state, e.legacy) for e in entries] == [
        (1, "signed", True),
        (2, "signed", True),
        (3, "signed", True),
    ]
    first, _, remark = entries
    assert (first.signer_name, first.signer_rank, first.signed_by) == ("J. Smith", "2nd Engineer", None)
    assert first.instant == datetime(2025, 3, 16, 10, tzinfo=UTC) and first.signed_at == first.created_at
    assert remark.entry_date.isoformat() == "2025-03-17" and remark.signer_rank == "Chief Engineer"
    result = chain.verify_book()
    assert result.ok and result.entries == 3 and result.head == remark.entry_hash
    assert guards.missing(connection) == []
