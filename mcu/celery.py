"""The Celery app. The beat schedule is declared here, in one place (STYLE §6.6)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcu.settings")

app = Celery("mcu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _every_minute():
    """crontab "* * * * *", or every ``DESK_BEAT_TICK_SECONDS`` seconds when that is set: the
    integration tests run a real beat and need not wait for a minute boundary."""
    tick = os.environ.get("DESK_BEAT_TICK_SECONDS")
    return float(tick) if tick else crontab()


app.conf.beat_schedule = {
    # Every minute: mark breaches, send warnings, escalate (DESIGN §4 "Enforcement").
    # crontab "* * * * *" — https://crontab.guru/#*_*_*_*_*
    "deadlines-sweep": {"task": "deadlines.sweep", "schedule": _every_minute()},
    # Every minute: close published cases whose resident gave no reaction in time
    # (Междуреченск 3.6: two days after publication).
    "cases-close-unreacted": {"task": "cases.close_unreacted", "schedule": _every_minute()},
    # Every minute: deliver e-mail / Telegram notifications whose time has come.
    "notifications-deliver": {"task": "mcu.deliver_notifications", "schedule": _every_minute()},
    # Every minute: recomputes of clocks that calendar or rule edits left in the outbox
    # (the broker was down, or a worker died mid-task).
    "deadlines-recompute-pending": {
        "task": "deadlines.recompute_pending",
        "schedule": _every_minute(),
    },
    # Every minute: duplicate linking of ingested cases left in the outbox (the broker was
    # down at ingest, or a worker died mid-task): channels.LinkRequest.
    "channels-link-pending": {"task": "channels.link_pending", "schedule": _every_minute()},
    # Every minute: imports whose task never came (the broker was down at the upload).
    "channels-import-resume": {"task": "channels.import_resume", "schedule": _every_minute()},
    # Daily at 03:30 UTC: residents' personal data of long finished cases (152-ФЗ).
    # crontab "30 3 * * *" — https://crontab.guru/#30_3_*_*_*
    "cases-retention-erase": {
        "task": "cases.retention_erase",
        "schedule": crontab(minute=30, hour=3),
    },
    # Daily at 02:15 UTC: retrain each municipality's routing classifier on its own
    # routed history (channels.suggestions). crontab "15 2 * * *" — https://crontab.guru/#15_2_*_*_*
    "channels-train-routing": {
        "task": "channels.train_routing",
        "schedule": crontab(minute=15, hour=2),
    },
    # Daily at 06:00 UTC (09:00 Moscow; CELERY_TIMEZONE is UTC): from 90 days before the
    # loaded production calendar ends, tell the heads to load the next year (once a year).
    # crontab "0 6 * * *" — https://crontab.guru/#0_6_*_*_*
    # Every 15 minutes: the analytic notes whose moment has passed in each municipality's
    # own zone — weekly from Monday 08:00 local, monthly and quarterly from the 1st 08:00
    # (analytics/tasks.py; idempotent). crontab "*/15 * * * *" — https://crontab.guru/#*/15_*_*_*_*
    "analytics-build-notes": {"task": "analytics.build_notes", "schedule": crontab(minute="*/15")},
    "deadlines-calendar-expiry": {
        "task": "deadlines.calendar_expiry_warn",
        "schedule": crontab(minute=0, hour=6),
    },
}
