"""Post-migrate setup, connected when ``migrate`` imports this module (as django-guardian does)."""

from django.apps import apps
from django.db.models.signals import post_migrate

ANONYMOUS = "outside-anonymous"


def create_anonymous_user(sender, using=None, **kwargs):
    from django.contrib.auth import get_user_model

    get_user_model().objects.using(using).get_or_create(username=ANONYMOUS)


post_migrate.connect(
    create_anonymous_user, sender=apps.get_app_config("outside_app"), dispatch_uid="outside_app.create_anonymous_user"
)
