"""``--prune-backups``: which backups are kept (and why, beyond the newest N), deleted, or left alone."""

import os
from dataclasses import dataclass, field

from . import backup as backups
from .runs import rollback_candidate


@dataclass
class PruneDecision:
    newest: int  # how many of the newest verified backups are kept
    kept: list = field(default_factory=list)  # BackupInfo
    delete: list = field(default_factory=list)  # BackupInfo
    reasons: dict = field(default_factory=dict)  # path -> why it is kept beyond the newest N
    left_alone: dict = field(default_factory=dict)  # path -> why it does not count

    def lines(self, *, keep):
        lines = [f"Keeping the newest {self.newest} verified backup(s) (--keep {keep}):"]
        lines += [f"  {info.path}" for info in self.kept if info.path not in self.reasons]
        for path, why in self.reasons.items():
            lines.append(f"Kept beyond the newest {keep}: {path} ({why})")
        for path, why in self.left_alone.items():
            lines.append(f"Not counted, left alone: {path} ({why})")
        return lines


def decide(backend, records, *, keep):
    """Policy: the newest ``keep`` verified backups, plus the backup of the run --rollback would
    undo next (only that one: undoing older runs is a reversible migration, not a restore).
    Files safe_migrate did not write (or cannot vouch for) are never counted and never deleted."""
    found = backups.known_backups(backend, records)
    ours = [info for info in found if info.journaled and not info.untrusted]
    usable = [info for info in ours if info.verified and backups.verify_backup(backend, info) is None]
    newest = {info.path for info in usable[:keep]}
    decision = PruneDecision(
        newest=len(newest), left_alone={info.path: info.untrusted for info in found if info.untrusted}
    )
    candidate, _ = rollback_candidate(records, applied=None)
    entry = (candidate or {}).get("backup")
    next_rollback = os.path.abspath(entry["path"]) if isinstance(entry, dict) and entry.get("path") else None
    for info in ours:
        if info.path in newest:
            decision.kept.append(info)
        elif info.path == next_rollback:
            decision.kept.append(info)
            decision.reasons[info.path] = (
                f"taken by run {candidate['id']}, the run `--rollback` would undo next (kept whatever N is)"
            )
        elif not usable and info is ours[0]:
            decision.kept.append(info)
            decision.reasons[info.path] = "the newest backup (none verifies, so none is deleted for it)"
        else:
            decision.delete.append(info)
    return decision
