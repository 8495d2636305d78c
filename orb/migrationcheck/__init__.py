"""``manage.py check_migrations``: a migration is checked before it is committed, so that a bad
one never reaches a ship (issue 19).  docs/MIGRATION_CHECKS.md documents every rule.

One module per concern:

- ``rules``            the rule IDs (ORB1xx), why each matters on a ship, and the fix
- ``findings``         a finding, and the report of a whole check (summary, JSON document)
- ``checkfile``        migrations.checks.toml: acknowledgements per migration, tables known to be large
- ``acknowledgements`` which findings are acknowledged (the file, or the migration's own attributes)
- ``lockfile``         migrations.lock: the sha256 of every released migration (safe_migrate's drift
                       check trusts it too)
- ``lint``             the rules read from the migration files and the project states
- ``runpython``        whether a RunPython's code uses the current models instead of apps.get_model
- ``rebuild``          the table rebuild of the embedded engine: which tables, time and disk
- ``scratch``          scratch databases (the embedded engine always, the configured server's too)
- ``rows``             rows in every table, generated from the models
- ``schema``           a snapshot of a database's schema, and the differences between two
- ``roundtrip``        every migration backwards and forwards again, the schema compared after each step
- ``checker``          runs all of it for the chosen apps and returns the report
"""
