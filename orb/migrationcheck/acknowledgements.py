"""Which findings are acknowledged, always per migration and always with a reason.

Two places say so:
- the migration itself, for a migration not released yet: a class attribute
  ``acknowledged = {"ORB102": "why this drop is safe"}``, and for ORB101 the attribute
  ``irreversible_reason = "why it cannot be undone"``;
- migrations.checks.toml (``checkfile``), for a released migration, whose file never changes.

A malformed acknowledgement (no reason, an unknown rule, a migration that does not exist) is a
finding of its own (ORB100), which nothing acknowledges.
"""

from .findings import Finding
from .rules import RULES

ATTRIBUTE = "acknowledged"
IRREVERSIBLE_ATTRIBUTE = "irreversible_reason"


def _from_migration(migration):
    rules = dict(getattr(migration, ATTRIBUTE, None) or {})
    reason = getattr(migration, IRREVERSIBLE_ATTRIBUTE, None)
    if reason is not None:
        rules.setdefault("ORB101", reason)
    return rules


def collect(migrations, check_file, *, known):
    """({"app.name": {rule: reason}}, [ORB100 findings]) for ``migrations`` ({"app.name": Migration}),
    the ones checked; ``known``: the names of every migration on disk (an acknowledgement of one
    that is not checked this time is left alone)."""
    problems = []
    table = {}
    sources = [(name, _from_migration(migration), "the migration") for name, migration in migrations.items()]
    sources += [(name, rules, check_file.path.name) for name, rules in check_file.acknowledged.items()]
    for name, rules, where in sources:
        if name not in migrations:
            if name in known:
                continue
            problems.append(
                Finding("ORB100", name, "", f"{where} acknowledges findings of {name}, which is not a migration")
            )
            continue
        for rule, reason in rules.items():
            if rule not in RULES or rule == "ORB100":
                problems.append(Finding("ORB100", name, "", f"{where} acknowledges {rule!r}, which is not a rule"))
            elif not isinstance(reason, str) or not reason.strip():
                problems.append(Finding("ORB100", name, "", f"{where} acknowledges {rule} without a reason"))
            else:
                table.setdefault(name, {})[rule] = reason.strip()
    return table, problems


def apply(findings, table):
    """Mark each finding whose migration acknowledges its rule (in place); returns the findings."""
    for finding in findings:
        if finding.rule != "ORB100":
            finding.acknowledged = table.get(finding.migration, {}).get(finding.rule, "")
    return findings
