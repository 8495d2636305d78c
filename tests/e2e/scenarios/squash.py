"""The scenario app's 0001_initial and 0002_reading_comment squashed into one migration, as
``squashmigrations scenario 0002`` writes it: ``squashed`` still lists them in ``replaces``;
``squashed_final`` is the same file after the squash was made a normal migration (``replaces``
removed, the old files deleted), which leaves their rows in django_migrations for ``--prune``."""

from django.db import migrations, models

OPERATIONS = [
    migrations.CreateModel(
        name="Reading",
        fields=[
            ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ("name", models.CharField(max_length=50)),
            ("value", models.IntegerField()),
            ("note", models.CharField(max_length=100, null=True)),
            ("comment", models.CharField(max_length=100, null=True)),
        ],
    ),
]
REPLACED = [("scenario", "0001_initial"), ("scenario", "0002_reading_comment")]
