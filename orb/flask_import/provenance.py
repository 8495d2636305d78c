"""What this database already holds from the Flask tool (the ``flaskimport`` app's rows).

- the same file (same sha256) imported before: a second run adds nothing;
- another file imported before: refused unless ``--append`` (with ``--noinput``);
- with ``--append``, an old row whose table, id and values equal a row already imported from
  another file is not imported twice (a newer copy of the same old database): it is recorded
  as skipped, saying where it came in.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder

from orb.flask_import.models import ImportedRow, ImportRun


def old_values_json(values):
    return json.dumps(values, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, default=str)


def earlier_run_of(sha256):
    """The committed import of this very file, or None."""
    return ImportRun.objects.filter(source_sha256=sha256).order_by("imported_at").first()


def other_runs(sha256):
    return list(ImportRun.objects.exclude(source_sha256=sha256).order_by("imported_at"))


def imported_entry_ids():
    """pks of the ORB entries that came from an import (any file)."""
    ids = set()
    for became in (
        ImportedRow.objects.filter(old_table="orb_entries").exclude(outcome="skipped").values_list("became", flat=True)
    ):
        ids.update(int(item.rsplit(":", 1)[1]) for item in became.split() if item.startswith("soundings.orbentry:"))
    return ids


class Earlier:
    """Rows imported from other files, looked up by (table, old id) and compared by values."""

    def __init__(self, *, appending):
        self.rows = {}
        if appending:
            for row in ImportedRow.objects.exclude(outcome="skipped").only(
                "old_table", "old_id", "old_values", "became", "source_sha256"
            ):
                self.rows[(row.old_table, row.old_id)] = row

    def same(self, table, *, old_id, values_json):
        """The earlier ImportedRow with these very values, or None."""
        row = self.rows.get((table, old_id))
        return row if row is not None and row.old_values == values_json else None


def save_run(*, old, report, journal_run, appended, user):
    return ImportRun.objects.create(
        source_sha256=old.sha256,
        source_path=str(old.path)[:500],
        source_revision=(old.revision or "")[:64],
        imported_by=user[:150],
        journal_run=journal_run or "",
        appended=appended,
        report=json.dumps(report.as_dict(), cls=DjangoJSONEncoder, ensure_ascii=False),
    )


def save_rows(run, results):
    ImportedRow.objects.bulk_create(
        (
            ImportedRow(
                run=run,
                source_sha256=run.source_sha256,
                old_table=r.table,
                old_id=r.old_id,
                outcome=r.outcome,
                became=" ".join(r.became),
                note="; ".join(r.notes),
                old_values=r.values_json,
            )
            for r in results
        ),
        batch_size=500,
    )
