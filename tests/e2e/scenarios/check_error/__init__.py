"""An app whose only content is a system check that always reports an error, for the tests of
``safe_migrate --skip-checks`` (installed through ORB_EXTRA_APPS=tests.e2e.scenarios.check_error)."""
