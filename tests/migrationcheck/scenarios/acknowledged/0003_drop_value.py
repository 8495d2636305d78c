from django.db import migrations


class Migration(migrations.Migration):
    acknowledged = {"ORB102": "", "ORB999": "no such rule"}
    dependencies = [("scenario", "0002_drop_note")]
    operations = [migrations.RemoveField("reading", "value")]
