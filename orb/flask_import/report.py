"""What the import did, per old table: rows read, imported, flagged for review, skipped (and
why), what they became; the lines of the table printed at the end and the JSON document."""

from collections import Counter
from dataclasses import dataclass, field

IMPORTED, FLAGGED, SKIPPED = "imported", "flagged", "skipped"


@dataclass
class RowResult:
    """One old row: its outcome, what it became here ("app.model:pk"), the reasons."""

    table: str
    old_id: int
    old_values: dict
    values_json: str = ""
    outcome: str = IMPORTED
    became: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def flag(self, reason):
        if self.outcome != SKIPPED:
            self.outcome = FLAGGED
        self.notes.append(reason)

    def skip(self, reason):
        self.outcome = SKIPPED
        self.notes.append(reason)

    def add(self, obj):
        self.became.append(f"{obj._meta.label_lower}:{obj.pk}")


@dataclass
class TableReport:
    table: str
    read: int = 0
    outcomes: Counter = field(default_factory=Counter)
    became: Counter = field(default_factory=Counter)  # model label -> objects made
    reasons: list = field(default_factory=list)  # [(old_id, outcome, reason)]
    note: str = ""  # about the whole table (e.g. why it is skipped)

    def add(self, row):
        self.read += 1
        self.outcomes[row.outcome] += 1
        for item in row.became:
            self.became[item.rsplit(":", 1)[0]] += 1
        self.reasons.extend((row.old_id, row.outcome, reason) for reason in row.notes)

    def as_dict(self):
        return {
            "read": self.read,
            "imported": self.outcomes[IMPORTED],
            "flagged": self.outcomes[FLAGGED],
            "skipped": self.outcomes[SKIPPED],
            "became": dict(self.became),
            "note": self.note,
            "reasons": [{"old_id": i, "outcome": o, "reason": r} for i, o, r in self.reasons],
        }


def _line(cells, widths):
    """The first column left-aligned, the counts right-aligned, then what the rows became."""
    padded = [cells[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:5], widths[1:], strict=True)]
    return "  " + "  ".join(padded) + f"  {cells[5]}"


@dataclass
class ImportReport:
    path: str
    sha256: str
    age: str
    revision: str
    tables: dict = field(default_factory=dict)  # old table -> TableReport
    missing: list = field(default_factory=list)  # tables this installation did not have yet
    made: Counter = field(default_factory=Counter)  # model label -> rows written here (any table)
    notes: list = field(default_factory=list)  # whole-import remarks (tanks created, Part II numbers …)
    already: int = 0  # rows of this file already imported earlier (a second run)

    def table(self, name):
        return self.tables.setdefault(name, TableReport(name))

    @property
    def counts(self):
        return {name: t.as_dict() for name, t in self.tables.items()}

    def totals(self):
        total = Counter()
        for t in self.tables.values():
            total.update({"read": t.read, **t.outcomes})
        return total

    def lines(self, *, reasons_shown=20):
        """The table of counts, then the reasons (the first ``reasons_shown`` per table)."""
        rows = [("old table", "read", "imported", "flagged", "skipped", "became")]
        for t in self.tables.values():
            became = ", ".join(f"{n} {label.split('.')[1]}" for label, n in sorted(t.became.items())) or "-"
            counts = (t.read, t.outcomes[IMPORTED], t.outcomes[FLAGGED], t.outcomes[SKIPPED])
            rows.append((t.table, *map(str, counts), became))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        out = [_line(r, widths) for r in rows]
        for name in self.missing:
            out.append(f"  {name}: not in this file (an older installation of the Flask tool)")
        for t in self.tables.values():
            if t.note:
                out.append(f"  {t.table}: {t.note}")
            for old_id, outcome, reason in t.reasons[:reasons_shown]:
                out.append(f"  {t.table} id {old_id} {outcome}: {reason}")
            if len(t.reasons) > reasons_shown:
                out.append(f"  {t.table}: {len(t.reasons) - reasons_shown} more (see --json)")
        out.extend(f"  {note}" for note in self.notes)
        return out

    def as_dict(self):
        return {
            "file": self.path,
            "sha256": self.sha256,
            "installation": self.age,
            "revision": self.revision,
            "tables": self.counts,
            "not_in_file": self.missing,
            "rows_written": dict(self.made),
            "notes": self.notes,
            "totals": dict(self.totals()),
        }
