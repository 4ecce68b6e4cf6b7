"""The case list's order within a municipality and an organisation as indexes: the first
page, the capped count and the keyset pages read them alone (docs/performance.md)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_clusters_repeats"),
        ("mcu", "0002_notification_sending_status"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["municipality", "-received_at", "-id"], name="case_mun_received"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["organisation", "-received_at", "-id"], name="case_org_received"
            ),
        ),
    ]
