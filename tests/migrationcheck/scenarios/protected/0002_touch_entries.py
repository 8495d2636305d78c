from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("scenario", "0001_initial")]
    operations = [
        migrations.RunSQL(
            "UPDATE soundings_orbentry SET text = text WHERE 1 = 0",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunSQL("SELECT COUNT(*) FROM soundings_orbentry", reverse_sql=migrations.RunSQL.noop),
    ]
