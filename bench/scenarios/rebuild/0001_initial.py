from scenarios.initial import Migration  # noqa: F401
