from django.apps import AppConfig


class FlaskImportConfig(AppConfig):
    name = "orb.flask_import"
    label = "flaskimport"  # the tables keep their names: flaskimport_importrun, flaskimport_importedrow
    verbose_name = "Import from the Flask tool"
    default_auto_field = "django.db.models.BigAutoField"
