from django.apps import AppConfig


class ScenarioConfig(AppConfig):
    name = "tests.e2e.scenario"
    label = "scenario"
    default_auto_field = "django.db.models.BigAutoField"
