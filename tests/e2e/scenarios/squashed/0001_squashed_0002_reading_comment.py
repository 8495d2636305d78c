from django.db import migrations

from tests.e2e.scenarios.squash import OPERATIONS, REPLACED


class Migration(migrations.Migration):
    initial = True
    replaces = REPLACED
    dependencies = []
    operations = OPERATIONS
