"""Clocks to the letter of the regulations (issue: workflow, second pass).

- ``DeadlinePolicy.max_days``: the ceiling of a promised date (30 days for case.promise);
- ``Deadline.extension_days``: the one extension of an appeal's term (59-ФЗ ст. 12 ч. 2);
- the 90-minute comment term is Мещовск's (прил. 2), in calendar minutes: the global rule
  is switched off and the policy's unit corrected where it was never edited;
- fast-track first-reply and reassignment-window policies and rules (calendar time).
"""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from deadlines import defaults

    DeadlinePolicy = apps.get_model("deadlines", "DeadlinePolicy")
    DeadlineRule = apps.get_model("deadlines", "DeadlineRule")
    DeadlinePolicy.objects.filter(
        code="incident.comment", unit="working_minutes", amount=90
    ).update(unit="calendar_minutes")
    DeadlinePolicy.objects.filter(code="case.promise", max_days__isnull=True).update(max_days=30)
    DeadlineRule.objects.filter(
        stage="answer",
        kind="incident",
        channel="official_comment",
        municipality__isnull=True,
        policy__code="incident.comment",
    ).update(
        is_active=False,
        note="Мещовск, прил. 2: правило МО, а не общее — включите его для своего МО.",
    )
    defaults.load_defaults(
        DeadlinePolicy=DeadlinePolicy,
        DeadlineRule=DeadlineRule,
        WorkSchedule=apps.get_model("deadlines", "WorkSchedule"),
        WorkInterval=apps.get_model("deadlines", "WorkInterval"),
    )


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0002_defaults")]

    operations = [
        migrations.AddField(
            model_name="deadlinepolicy",
            name="max_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Для срока, задаваемого вручную (обещанный срок промежуточного ответа): не позже стольких дней от публикации. Пусто — без предела.",
                null=True,
                verbose_name="предельный срок, календарных дней",
            ),
        ),
        migrations.AddField(
            model_name="deadline",
            name="extension_days",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="продлено, дней"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
