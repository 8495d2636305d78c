"""Scenario migration packages for check_migrations, one per rule and a clean one, loaded as the
``scenario`` app's migrations (MIGRATION_MODULES, as Django's own tests/migrations do).

Every package starts with ``initial.py``'s migration, which comes after the project's own apps
(``__latest__``), so the round trip walks down only the scenario's migrations."""
