from tests.e2e.scenarios.initial import Migration  # noqa: F401
