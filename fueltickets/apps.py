from django.apps import AppConfig


class FuelticketsConfig(AppConfig):
    name = "fueltickets"
    verbose_name = "Fuel tickets and hitch baselines"
