from django.db import migrations


class Migration(migrations.Migration):
    acknowledged = {"ORB102": "the note column was never shown or filled on any ship"}
    dependencies = [("scenario", "0001_initial")]
    operations = [migrations.RemoveField("reading", "note")]
