"""The safe-migration engine behind ``manage.py safe_migrate``.

One module per concern:

- ``errors``       exception types carrying the exit status and the state line
- ``events``       the progress callback protocol (the engine never prints)
- ``targets``      reading APP_LABEL / MIGRATION_NAME into migration targets
- ``plan``         what will run: migrations, direction, operations, destructive ops, SQL
- ``drift``        checksums of migration files, drift against the journal
- ``backends``     everything specific to one database engine, behind one interface
- ``files``        private files (0600/0700, no links, no predictable names), fsync, sha256
- ``backup``       backup naming, sidecars, listing, verification, pruning
- ``lock``         one run at a time, plus the maintenance flag the web app reads
- ``journal``      one JSON line per run, outside the database
- ``preservation`` row and value counts before/after, mapped through renames
- ``checks``       integrity, foreign keys, models readable, smoke checks
- ``apply``        the plan and the checks inside one transaction
- ``rehearsal``    the same on a copy
- ``engine``       the applying modes: upgrade, rollback, dry-run, fake, restore, prune, one method per step
- ``run``          one run's id, lock, timings, backup and its one journal record
- ``runs``         reading the journal for decisions: the run --rollback would undo
- ``prune``        which backups --prune-backups keeps, deletes, leaves alone
- ``fake``         --fake / --fake-initial: the question, the mismatch refusal, the state line
- ``prune_records`` --prune: the django_migrations rows of deleted migration files
- ``outcome``      what a mode returns: state line, summary lines, JSON document
- ``readonly_modes`` the read-only modes: plan, check, status, history, list-backups
"""
