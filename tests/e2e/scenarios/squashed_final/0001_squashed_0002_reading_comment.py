from django.db import migrations

from tests.e2e.scenarios.squash import OPERATIONS


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = OPERATIONS
