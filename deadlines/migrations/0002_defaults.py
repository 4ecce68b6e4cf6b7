"""Seed the default policies, rules, weekly schedule and the shipped production calendar.

The same loaders back the idempotent service ``deadline_defaults_load`` (run it after a
test flush, or to add a newly shipped year of the calendar). Existing rows are never
overwritten.
"""

from django.db import migrations

from deadlines import defaults


def seed(apps, schema_editor):
    defaults.load_defaults(
        DeadlinePolicy=apps.get_model("deadlines", "DeadlinePolicy"),
        DeadlineRule=apps.get_model("deadlines", "DeadlineRule"),
        WorkSchedule=apps.get_model("deadlines", "WorkSchedule"),
        WorkInterval=apps.get_model("deadlines", "WorkInterval"),
    )
    defaults.load_calendar(apps.get_model("deadlines", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [
        ("deadlines", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
