from django.apps import AppConfig


class OutsideAppConfig(AppConfig):
    name = "outside_app"
    default_auto_field = "django.db.models.BigAutoField"
