from django.apps import AppConfig


class OrbConfig(AppConfig):
    name = "orb"
    verbose_name = "ORB"

    def ready(self):
        from orb import sqlite  # noqa: F401  (connection pragmas)
