"""Bringing a ship's record over from the Flask tool: ``manage.py import_flask_orb PATH``.

One module per concern:

- ``oldfile``     recognise the old SQLite file and read it read-only (``mode=ro``, never written)
- ``values``      the old values: NULLs, empty text, floats, datetimes with or without a zone
- ``report``      per table what was read, imported, flagged for review and skipped, and why
- ``provenance``  which file and rows this database already holds (the ``flaskimport`` app)
- ``book``        the old ORB entries as legacy signed entries appended to the hash chain
- ``soundings``, ``fuel``, ``hitches``   the per-table mapping onto this project's models
- ``importer``    the tables in order, inside the caller's transaction, and the check before COMMIT
- ``guarded``     the run guarded like a migration: safe_migrate's lock, backup, journal

The package is also the Django app (label ``flaskimport``) of the import record: ``models`` holds
``ImportRun`` and ``ImportedRow``, shown view-only by ``admin``.

The command (orb/management/commands/import_flask_orb.py) parses arguments and renders progress.
docs/MOVING_FROM_FLASK.md is the operator's page.
"""
