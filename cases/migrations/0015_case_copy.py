"""Clocks, answers and feedback carry their case's municipality and organisation
(mcu.models.CaseCopy); answers record their working time and whether they were the
case's first published one (cases.copies); a case, whether a breach of an obligation
clock is on record (deadlines.selectors.case_was_breached_condition). Added nullable here, filled in 0016, the
municipality made required and the analytics' indexes built in 0017."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_link_indexes"),
        ("mcu", "0005_list_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="breach_recorded",
            field=models.BooleanField(default=False, editable=False, verbose_name="срок нарушался"),
        ),
        migrations.AddField(
            model_name="answer",
            name="first_reply",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="первый опубликованный"
            ),
        ),
        migrations.AddField(
            model_name="answer",
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
            model_name="answer",
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
        migrations.AddField(
            model_name="answer",
            name="working_seconds",
            field=models.PositiveIntegerField(
                blank=True, editable=False, null=True, verbose_name="рабочих секунд с поступления"
            ),
        ),
        migrations.AddField(
            model_name="feedback",
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
            model_name="feedback",
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
