"""The municipality of an answer and a feedback row is required now that 0016 filled
it; the analytics read a municipality's period from these indexes alone."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_case_copy_fill"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["municipality", "received_at"],
                include=(
                    "organisation",
                    "category",
                    "district",
                    "kind",
                    "channel",
                    "repeat_count",
                    "repeats",
                    "satisfaction",
                    "next_due_at",
                    "breach_recorded",
                ),
                name="case_mun_received_facts",
            ),
        ),
        migrations.AlterField(
            model_name="answer",
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
        migrations.AlterField(
            model_name="feedback",
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
            model_name="answer",
            name="answer_published",
        ),
        migrations.RemoveIndex(
            model_name="answer",
            name="answer_created",
        ),
        migrations.RemoveIndex(
            model_name="feedback",
            name="feedback_at",
        ),
        migrations.AddIndex(
            model_name="answer",
            index=models.Index(
                condition=models.Q(("published_at__isnull", False)),
                fields=["municipality", "published_at"],
                include=("organisation", "kind", "case", "working_seconds", "first_reply"),
                name="answer_mun_published",
            ),
        ),
        migrations.AddIndex(
            model_name="answer",
            index=models.Index(
                condition=models.Q(("kind", "final")),
                fields=["municipality", "created_at"],
                include=("organisation", "status"),
                name="answer_mun_final_created",
            ),
        ),
        migrations.AddIndex(
            model_name="feedback",
            index=models.Index(
                fields=["municipality", "at"],
                include=("organisation", "rating", "reopened"),
                name="feedback_mun_at",
            ),
        ),
    ]
