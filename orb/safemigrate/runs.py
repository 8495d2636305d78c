"""Reading the journal for decisions: which run ``--rollback`` would undo (and so which one
backup prune keeps beyond N), and what a restore would cost."""


def _changes(records):
    """The runs --rollback may undo or that stop it; a fake (mode ``fake``) is never one of them."""
    return [r for r in records if r.get("outcome") == "applied" and r.get("mode") in ("upgrade", "rollback", "restore")]


def rollback_candidate(records, *, applied):
    """(record, None) for the run --rollback would undo, or (None, reason).

    ``applied`` is the database's applied migrations ("app.name"), or None to skip the
    check that the database is still in that run's after-state.
    """
    changes = _changes(records)
    if not changes:
        return None, "Nothing to roll back: safe_migrate has not applied any run to this database."
    newest = changes[-1]
    if newest.get("mode") == "restore":
        return None, (
            f"The database was restored from a backup (run {newest['id']}) after the last upgrade, so "
            "there is no run to roll back; migrate to a target (safe_migrate APP MIGRATION) or restore "
            "another backup instead."
        )
    if newest.get("mode") == "upgrade" and newest.get("direction") == "backwards":
        return None, (
            f"The most recent run ({newest['id']}) moved backwards; a backwards run is not rolled back. "
            "Run `safe_migrate` to apply the migrations again."
        )
    rolled = {r.get("rolls_back") for r in changes if r.get("mode") == "rollback"}
    candidate = None
    for record in reversed(changes):
        if record.get("mode") == "restore":
            break
        if record.get("mode") == "upgrade" and record.get("direction") == "forwards" and record["id"] not in rolled:
            candidate = record
            break
    if candidate is None:
        return None, "Nothing to roll back: every run applied by safe_migrate has been rolled back."
    if applied is not None and sorted(applied) != sorted(candidate.get("applied_after") or []):
        fake = _marked_since(records, candidate)
        if fake is not None:
            return None, (
                f"Run {fake['id']} marked migrations with --fake after run {candidate['id']}, and --rollback "
                "never undoes a fake; mark them back with `safe_migrate --fake APP MIGRATION`, or roll back "
                "by naming a target (safe_migrate APP MIGRATION), or use --restore."
            )
        return None, (
            f"The database is no longer in the state run {candidate['id']} left (its applied migrations "
            "differ, e.g. after a plain `migrate` or a later change); roll back by naming a target "
            "(safe_migrate APP MIGRATION) or use --restore."
        )
    return candidate, None


def _marked_since(records, candidate):
    """The newest ``--fake``/``--fake-initial`` run applied after ``candidate``, or None."""
    ids = [r.get("id") for r in records]
    later = records[ids.index(candidate["id"]) + 1 :] if candidate["id"] in ids else []
    fakes = [r for r in later if r.get("mode") == "fake" and r.get("outcome") == "applied"]
    return fakes[-1] if fakes else None


def rows_written_since(backend, backup_path):
    """Rows added to the live database since ``backup_path`` was taken (None when unknown)."""
    try:
        then = backend.table_rows(backup_path)
        now = backend.table_rows(None)
    except Exception:
        return None
    return sum(max(0, rows - then.get(table, 0)) for table, rows in now.items() if table != "django_migrations")
