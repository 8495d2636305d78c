from django.apps import AppConfig
from django.core import checks


def always_an_error(app_configs, **kwargs):
    return [checks.Error("A system check error made by the test app.", id="check_error.E001")]


class CheckErrorConfig(AppConfig):
    name = "tests.e2e.scenarios.check_error"
    label = "check_error"

    def ready(self):
        checks.register(always_an_error)
