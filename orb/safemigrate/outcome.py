"""What a mode returns to the command: the state line, the lines before it, and the JSON document.

A mode that returns an Outcome succeeded (exit 0, or ``exit_code`` when the answer itself is a
status, as ``--check``'s 1 for "migrations pending"); every other ending is a SafeMigrateError."""

from dataclasses import dataclass, field


@dataclass
class Outcome:
    state: str
    payload: object = None  # the --json document
    summary: list = field(default_factory=list)  # human lines printed before the state line
    exit_code: int = 0  # the command's exit status once it has printed the outcome


def run_summary(result):
    """The lines printed before the state line of a run that applied or rehearsed a plan."""
    lines = []
    before, after = result.comparison.rows_before, result.comparison.rows_after
    for table in sorted(set(before) | set(after)):
        b, a = before.get(table), after.get(table)
        if b != a:
            lines.append(f"  {table}: {b if b is not None else '-'} -> {a if a is not None else '-'} rows")
    if lines:
        lines.insert(0, "Rows that changed:")
    lines.append(
        f"Checks: integrity ok, foreign keys ok, {result.models_checked} models readable, "
        f"{data_summary(result.comparison.losses)}, smoke {result.smoke}{_book_summary(result)}."
    )
    return lines


def _book_summary(result):
    """ ", book verified" (or broken, skipped); nothing when the project has no book check."""
    state = result.book.split(":", 1)[0]
    if state == "none":
        return ""
    return f", book {state}{' (broken before the run)' if result.book_before else ''}"


def data_summary(losses):
    """Says "data preserved", or what --allow-data-loss let go ("data loss allowed: 2 rows dropped")."""
    if not losses:
        return "data preserved"
    rows = sum(loss.lost for loss in losses if loss.column is None)
    values = sum(loss.lost for loss in losses if loss.column is not None)
    parts = [f"{n} {noun}{'' if n == 1 else 's'}" for n, noun in ((rows, "row"), (values, "value")) if n]
    return f"data loss allowed: {' and '.join(parts)} dropped"
