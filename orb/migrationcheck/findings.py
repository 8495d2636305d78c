"""A finding, and the report of a whole check: one line per finding, a summary, one JSON document."""

from dataclasses import dataclass, field

from .rules import RULES


@dataclass
class Finding:
    rule: str
    migration: str  # "app.0003_name"
    operation: str  # the operation's description, or "" for the migration as a whole
    detail: str  # what exactly was found
    acknowledged: str = ""  # the reason, when acknowledged

    @property
    def why(self):
        return RULES[self.rule].why

    @property
    def fix(self):
        return RULES[self.rule].fix

    def line(self):
        where = f"{self.migration} ({self.operation})" if self.operation else self.migration
        if self.acknowledged:
            return f"{self.rule} {where}: {self.detail} [acknowledged: {self.acknowledged}]"
        return f"{self.rule} {where}: {self.detail}. Why: {self.why}. Fix: {self.fix}."

    def to_json(self):
        return {
            "rule": self.rule,
            "title": RULES[self.rule].title,
            "migration": self.migration,
            "operation": self.operation,
            "detail": self.detail,
            "why": self.why,
            "fix": self.fix,
            "acknowledged": self.acknowledged or None,
        }


@dataclass
class RoundTrip:
    """One engine's round trip: how many steps ran, how long, and where it stopped early."""

    engine: str
    steps: int = 0
    migrations: int = 0
    seconds: float = 0.0
    stopped: str = ""  # why the walk ended before the oldest migration, or ""
    notes: list = field(default_factory=list)

    def line(self):
        text = (
            f"Round trip on {self.engine}: {self.migrations} migration{'s' if self.migrations != 1 else ''} "
            "backwards and forwards "
            f"({self.steps} steps) in {self.seconds:.1f}s"
        )
        return text + (f"; stopped early: {self.stopped}" if self.stopped else "")

    def to_json(self):
        return {
            "engine": self.engine,
            "steps": self.steps,
            "migrations": self.migrations,
            "seconds": round(self.seconds, 2),
            "stopped": self.stopped or None,
            "notes": self.notes,
        }


@dataclass
class Report:
    apps: list
    migrations: int = 0
    findings: list = field(default_factory=list)
    round_trips: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def open_findings(self):
        return [finding for finding in self.findings if not finding.acknowledged]

    @property
    def exit_code(self):
        return 1 if self.open_findings else 0

    def summary(self):
        open_count = len(self.open_findings)
        acknowledged = len(self.findings) - open_count
        counted = f"{self.migrations} migration{'s' if self.migrations != 1 else ''} of {', '.join(self.apps)}"
        ack = f" ({acknowledged} acknowledged)" if acknowledged else ""
        if not open_count:
            return f"Migrations OK: no finding in {counted}{ack}."
        return (
            f"{open_count} finding{'s' if open_count != 1 else ''} in {counted}{ack}; fix each, or acknowledge it "
            "for its migration with a reason (docs/MIGRATION_CHECKS.md)."
        )

    def to_json(self):
        return {
            "apps": self.apps,
            "migrations": self.migrations,
            "findings": [finding.to_json() for finding in self.findings],
            "open": len(self.open_findings),
            "acknowledged": len(self.findings) - len(self.open_findings),
            "round_trips": [trip.to_json() for trip in self.round_trips],
            "notes": self.notes,
            "summary": self.summary(),
            "exit": self.exit_code,
        }
