from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("scenario", "0002_drop")]
    operations = [migrations.DeleteModel("Retired")]
