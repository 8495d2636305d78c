"""``--fake`` and ``--fake-initial``: recording migrations as applied (or unapplied) without running them.

An operator fakes a migration to record a schema change made by hand, or to adopt tables that
exist already.  The run is an applying run like any other (lock, backup, one transaction, the
checks inside it, journal); what differs is said here:

- ``--fake`` marks every migration of the plan without running it (``migrate --fake``).  Nothing
  runs, so the plan is one transaction whatever the migrations' ``atomic`` says.  It asks first
  (``--noinput`` skips the question), before the lock, so the site is not down while the operator
  reads the question; the plan is read again under the lock and must be the one confirmed.
- ``--fake-initial`` runs the plan, but an initial migration whose tables all exist already is
  marked applied without running (``migrate --fake-initial``; Django looks at table and column
  names only).
- The models check still runs on what the marked migrations say the schema is: a table or column
  they claim and the database lacks is refused (exit 3), naming it, unless ``--allow-mismatch``
  (then a warning names each one, the smoke checks are skipped, and the journal keeps them).
- The journal record has mode ``fake`` (``fake_initial`` true for ``--fake-initial``), the
  migrations of the plan and ``faked``, those marked without running.  ``--rollback`` never undoes
  it (runs.py looks at upgrades only, and says so when a fake came after the run it would undo).
"""

from dataclasses import dataclass

from .errors import Refused


@dataclass
class Fake:
    """How a run marks migrations; ``apply.run_plan`` takes it as ``fake``."""

    marks_all: bool  # --fake: every migration of the plan; False: --fake-initial
    allow_mismatch: bool = False

    @property
    def flag(self):
        return "--fake" if self.marks_all else "--fake-initial"

    def journal_fields(self):
        return {"fake_initial": not self.marks_all, "allow_mismatch": self.allow_mismatch}

    def refuse_mismatch(self, problems, *, marked):
        """Inside the transaction, after the models check: refuse (exit 3, rolled back) when the
        schema is unlike the models the marked migrations describe, unless --allow-mismatch."""
        if not problems or self.allow_mismatch:
            return
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise Refused(
            f"Marking {', '.join(marked)} without running {'it' if len(marked) == 1 else 'them'} would leave "
            f"the schema unlike the models: {problems[0]}{more}; nothing was marked. Make the change by hand "
            f"first, or run the migration (safe_migrate without {self.flag}), or re-run with --allow-mismatch "
            "if the difference is intended.",
            state="Database unchanged (the transaction was rolled back).",
            details={"mismatches": problems},
        )

    def question(self, plan, label):
        """What --fake asks before the lock: the migrations and what marking them means."""
        verb = "unapplied" if plan.direction == "backwards" else "applied"
        names = "\n".join(f"  {name}" for name in plan.names)
        return (
            f"Mark these migrations {verb} in {label} WITHOUT running them:\n{names}\n"
            "Their schema changes must already be made by hand (the models check refuses a missing "
            "table or column). A backup is taken first; --rollback will not undo this."
        )

    def state_line(self, plan, result, backup_path):
        """The last line of a fake that committed."""
        faked = len(result.faked)
        if self.marks_all:
            verb = "unapplied" if plan.direction == "backwards" else "applied"
            line = f"Database marked: {faked} migration(s) recorded {verb} without running them"
        else:
            ran = len(plan.steps) - faked
            line = (
                f"Database upgraded: {len(plan.steps)} migration(s), {faked} marked applied without running "
                f"(tables already there), {ran} run"
            )
        if result.mismatches:
            line += f"; {len(result.mismatches)} model(s) unlike the schema (allowed by --allow-mismatch)"
        return f"{line}; backup {backup_path}"


def require_confirmed_plan(plan, confirmed):
    """Under the lock, the plan must still be the one the operator confirmed (None: not asked)."""
    if confirmed is not None and plan.names != confirmed:
        raise Refused(
            "The migrations to mark changed after you confirmed (another run?); nothing was marked. Run again."
        )
