"""What each import of a Flask tool file did: the run, and every old row with what it became.

Rows are written once, by the import's transaction, and never changed: they are the evidence
of where an imported sounding, ticket or ORB entry came from (the old table and id, the old
values as read) and of every row that was flagged or skipped, and why.
"""

import json

from django.db import models
from django.utils import timezone


class ImportRun(models.Model):
    """One committed import of an old file (a dry run leaves none)."""

    source_sha256 = models.CharField("file sha256", max_length=64, db_index=True)
    source_path = models.CharField("file", max_length=500)
    source_revision = models.CharField(
        "Flask-Migrate revision", max_length=64, blank=True, help_text="alembic_version of the old file."
    )
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.CharField(max_length=150, help_text="The computer account that ran the command.")
    journal_run = models.CharField(
        "safe_migrate run", max_length=64, blank=True, help_text="The run's id in `safe_migrate --history`."
    )
    appended = models.BooleanField(default=False, help_text="Imported with --append next to an earlier file.")
    report = models.TextField(blank=True, help_text="The per-table report, as JSON.")

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = "import run"

    def __str__(self):
        return f"{self.source_path} (sha256 {self.source_sha256[:12]}…) imported {self.imported_at:%Y-%m-%d %H:%M}"

    @property
    def report_data(self):
        return json.loads(self.report) if self.report else None


class ImportedRow(models.Model):
    """One row of the old file: what it became here, or why it was skipped."""

    class Outcome(models.TextChoices):
        IMPORTED = "imported", "imported"
        FLAGGED = "flagged", "imported, flagged for review"
        SKIPPED = "skipped", "skipped"

    run = models.ForeignKey(ImportRun, on_delete=models.PROTECT, related_name="rows")
    source_sha256 = models.CharField("file sha256", max_length=64)
    old_table = models.CharField(max_length=64)
    old_id = models.BigIntegerField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    became = models.TextField(
        blank=True,
        help_text='What the row became here, e.g. "soundings.weeklysounding:12 soundings.weeklysounding:13".',
    )
    note = models.TextField(blank=True, help_text="Why it was flagged or skipped.")
    old_values = models.TextField(help_text="The old row as read, as JSON.")

    class Meta:
        ordering = ["run", "old_table", "old_id"]
        verbose_name = "imported row"
        constraints = [
            models.UniqueConstraint(fields=["source_sha256", "old_table", "old_id"], name="imported_row_once_per_file"),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["imported", "flagged", "skipped"]), name="imported_row_outcome_known"
            ),
        ]

    def __str__(self):
        return f"{self.old_table} {self.old_id}: {self.outcome}"

    @property
    def became_objects(self):
        """[(model label, pk)] of what the row became."""
        return [tuple(item.rsplit(":", 1)) for item in self.became.split()]
