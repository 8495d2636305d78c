from django.apps import AppConfig


class SoundingsConfig(AppConfig):
    name = "soundings"
    verbose_name = "Tank soundings and Oil Record Book"
