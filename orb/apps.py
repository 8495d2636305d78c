from django.apps import AppConfig


class OrbConfig(AppConfig):
    name = "orb"
    verbose_name = "ORB"

    def ready(self):
        from orb.safemigrate.backends import connect_signals

        connect_signals()  # each backend's settings of every new connection
