"""Clocks carry their case's municipality and organisation (mcu.models.CaseCopy):
added nullable here, filled by cases 0016, required with the analytics' index in 0007."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deadlines", "0005_analytics_indexes"),
        ("mcu", "0005_list_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="deadline",
            name="municipality",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="mcu.municipality",
                verbose_name="муниципальное образование",
            ),
        ),
        migrations.AddField(
            model_name="deadline",
            name="organisation",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="mcu.organisation",
                verbose_name="организация-исполнитель",
            ),
        ),
    ]
