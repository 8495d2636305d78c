from tests.e2e.scenarios.add_comment import Migration  # noqa: F401
