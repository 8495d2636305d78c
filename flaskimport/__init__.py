"""Provenance of what ``manage.py import_flask_orb`` brought over from the Flask tool.

One ``ImportRun`` per committed import of an old file, one ``ImportedRow`` per row of that file
(imported, imported and flagged for review, or skipped with its reason), so a second run of the
same file adds nothing and nothing read is ever dropped in silence. See docs/MOVING_FROM_FLASK.md.
"""
