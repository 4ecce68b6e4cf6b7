"""A clock's municipality is required now that cases 0016 filled it; the analytics read
a municipality's answer and promise clocks of a period from this index alone."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_case_copy_fill"),
        ("deadlines", "0006_case_copy"),
    ]

    operations = [
        migrations.AlterField(
            model_name="deadline",
            name="municipality",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="mcu.municipality",
                verbose_name="муниципальное образование",
            ),
        ),
        migrations.RemoveIndex(
            model_name="deadline",
            name="deadline_due_answer_promise",
        ),
        migrations.AddIndex(
            model_name="deadline",
            index=models.Index(
                condition=models.Q(("stage__in", ["answer", "promise"])),
                fields=["municipality", "due_at"],
                include=("organisation", "stage", "met_at", "breached_at", "cancelled_at"),
                name="deadline_mun_due_answer",
            ),
        ),
    ]
