from django.apps import AppConfig


class FlaskImportConfig(AppConfig):
    name = "flaskimport"
    verbose_name = "Import from the Flask tool"
    default_auto_field = "django.db.models.BigAutoField"
