"""The rules of check_migrations: an ID, what it finds, why it matters on a ship, and the fix.

docs/MIGRATION_CHECKS.md explains each rule at length; tests/migrationcheck checks that every
rule here has its section there.  A rule's ID never changes meaning once released: a retired
rule's ID is not reused.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    why: str
    fix: str


RULES = {
    rule.id: rule
    for rule in (
        Rule(
            id="ORB100",
            title="acknowledgement without a reason or for an unknown rule",
            why="an acknowledgement silences a finding on every future run; without a reason nobody can judge it",
            fix="give every acknowledgement a reason and a rule ID that exists (docs/MIGRATION_CHECKS.md)",
        ),
        Rule(
            id="ORB101",
            title="irreversible operation",
            why="`safe_migrate --rollback` refuses to undo it, so a bad release can only be undone by a restore "
            "that loses what was recorded since the backup",
            fix="give RunPython a reverse_code (RunPython.noop when there is nothing to undo) and RunSQL a "
            'reverse_sql, or set `irreversible_reason = "..."` on the Migration class saying why it cannot be',
        ),
        Rule(
            id="ORB102",
            title="data dropped",
            why="values of the legal record are gone: a dropped column or table loses them (safe_migrate refuses "
            "that on board without --allow-data-loss), a narrowed column fails on a server that holds longer values "
            "or keeps values the code no longer accepts",
            fix="keep the column or table (stop using it in the code), copy the values elsewhere first in a data "
            "migration, or acknowledge the drop with the reason it is safe",
        ),
        Rule(
            id="ORB103",
            title="NOT NULL column added without a default",
            why="every table on a ship holds rows: the migration fails on board (or fills nothing sensible)",
            fix="add the field with null=True or a default (db_default keeps it for other writers), then fill it "
            "in a data migration",
        ),
        Rule(
            id="ORB104",
            title="table rebuild of a large table on the embedded database",
            why="the embedded engine copies the whole table to change it: the ship waits, and the disk needs room "
            "for the copy and the write-ahead log",
            fix="avoid the rebuild (a new nullable column instead of changing one), or plan the downtime and disk "
            "with the estimate given",
        ),
        Rule(
            id="ORB105",
            title="atomic = False",
            why="a failure half-way leaves a half-migrated database; safe_migrate must rehearse and apply it step "
            "by step with a restore from backup as the only way back",
            fix="remove `atomic = False` (split the migration if one part needs its own transaction)",
        ),
        Rule(
            id="ORB106",
            title="RunPython uses the current models",
            why="the code's models change with later releases, so the migration breaks (or writes wrong columns) "
            "on a ship that applies it together with later ones",
            fix='use `apps.get_model("app", "Model")` inside the function, never an import of the models',
        ),
        Rule(
            id="ORB107",
            title="protected column of the ORB record changed",
            why="the append-only guards and the hash chain cover these columns; changing them can break the chain "
            "of signed entries or the guard that keeps them unchanged",
            fix="add a new column instead (a later migration may add and fill one, docs/RECORD.md), or acknowledge "
            "with the reason the signed record stays verifiable",
        ),
        Rule(
            id="ORB108",
            title="released migration edited",
            why="ships have applied the released file; safe_migrate refuses to run where the file changed",
            fix="restore the released file from version control and put the change in a new migration",
        ),
        Rule(
            id="ORB109",
            title="schema differs after a round trip",
            why="after a rollback and upgrade the ship's database would not be the database the code was tested on",
            fix="make the backwards step undo exactly what the forwards step did (reverse_sql, reverse_code)",
        ),
        Rule(
            id="ORB110",
            title="migration fails on a database with rows",
            why="on board every table holds rows; a step that fails there stops the upgrade or the rollback",
            fix="make the step work with rows present (defaults, data migrations in the right order), then run "
            "check_migrations again",
        ),
    )
}
