"""Beat builds the notes (DESIGN §6): every 15 minutes it builds, for each municipality,
the notes whose moment has passed in the municipality's own time zone and that do not
exist yet — so «every Monday at 08:00 local time» holds in every zone with one schedule,
and a beat that was down on Monday builds the note when it comes back.

- weekly: from Monday 08:00 local, the previous Monday–Sunday (Ставрополь п. 11 1):
  «в форме еженедельной аналитической записки для представления главе»);
- monthly: from the 1st 08:00 local, the previous month (Междуреченск, постановление,
  п. 3.3: «Представлять ежемесячно главе … отчет по итогам работы системы»);
- quarterly: from the 1st of a quarter 08:00 local, the previous quarter (Лабытнанги
  п. 3.6 в): «формирует ежеквартальные отчеты по тематике поступивших обращений»).

Idempotent: ``note_create`` returns the existing note, and the unique constraint
(municipality, kind, first day, revision) stops a second revision 1 from a race.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)

BUILD_AT = time(8, 0)


def _due_periods(local: datetime) -> list[tuple[str, date]]:
    """``(kind, a day inside the period to build)`` whose moment has passed at ``local``."""
    from .models import NoteKind

    today = local.date()
    due = []
    monday = today - timedelta(days=today.weekday())
    if local >= datetime.combine(monday, BUILD_AT, tzinfo=local.tzinfo):
        due.append((NoteKind.WEEKLY, monday - timedelta(days=7)))
    else:  # before Monday 08:00: the week before last is still the one due (catch-up)
        due.append((NoteKind.WEEKLY, monday - timedelta(days=14)))
    first = today.replace(day=1)
    if local < datetime.combine(first, BUILD_AT, tzinfo=local.tzinfo):
        first = (first - timedelta(days=1)).replace(day=1)
    due.append((NoteKind.MONTHLY, first - timedelta(days=1)))
    quarter_first = first.replace(month=3 * ((first.month - 1) // 3) + 1)
    due.append((NoteKind.QUARTERLY, quarter_first - timedelta(days=1)))
    return due


def notes_build_due(*, now: datetime | None = None) -> list[int]:
    """Build every note whose moment has passed and that is missing; the new notes' ids."""
    from mcu.models import Municipality

    from .models import WeeklyNote
    from .notes import note_period, period_label
    from .services import note_create

    now = now or timezone.now()
    wanted = []
    for mun in Municipality.objects.order_by("pk"):
        local = now.astimezone(mun.zone)
        for kind, day in _due_periods(local):
            label = period_label(kind, day)
            wanted.append((mun, kind, label, note_period(kind, label).date_from))
    existing = set(
        WeeklyNote.objects.filter(date_from__in={w[3] for w in wanted}).values_list(
            "municipality_id", "kind", "date_from"
        )
    )
    built = []
    for mun, kind, label, first in wanted:
        if (mun.pk, kind, first) in existing:
            continue
        try:
            note, created = note_create(municipality=mun, kind=kind, period=label, now=now)
        except Exception:  # one municipality's failure must not stop the others
            logger.exception("note %s %s %s not built", mun.slug, kind, label)
            continue
        if created:
            built.append(note.pk)
    return built


@shared_task(name="analytics.build_notes", ignore_result=True)
def build_notes() -> int:
    return len(notes_build_due())
