"""What a case's rows carry of it, and what an answer records when it is published.

- ``mcu.models.CaseCopy``: clocks, answers and feedback keep their case's municipality and
  executor organisation, so the analytics read a period's rows by their own index
  (``analytics.indicators``). ``case_rows_follow`` rewrites them when the case's
  organisation changes (``cases.services._step``, the one writer of a case's state).
- ``publication_facts``: the working time from receipt to a publication and whether it is
  the case's first published answer, recorded on the answer as it is published (the
  analytics' answer and first-reply times; a clock's verdict is fixed the same way when it
  is met).

``copies_fill`` and ``answer_times_fill`` set both on rows written before they existed:
the migrations call them, and so does ``generate_cases`` for the rows it writes in SQL.
Both take the model classes, so a migration passes its historical ones.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction

from deadlines.calendars import calendar_for
from deadlines.engine import CalendarDataMissing, working_seconds_between


def working_seconds_since_receipt(received_at: datetime, at: datetime, municipality):
    """Working seconds from ``received_at`` to ``at`` on the municipality's calendar
    (``calendar_for``, cached per process), None when the calendar has no data for a year
    of it (never a Monday–Friday guess)."""
    try:
        return max(0, working_seconds_between(received_at, at, calendar_for(municipality)))
    except CalendarDataMissing:
        return None


def publication_facts(case, *, at: datetime, answer_pk: int | None = None) -> dict:
    """The fields an answer (``answer_pk``, or one about to be written) records as it is
    published at ``at``."""
    from .models import Answer

    others = Answer.objects.filter(case_id=case.pk, published_at__isnull=False)
    if answer_pk is not None:
        others = others.exclude(pk=answer_pk)
    earlier = others.exists()
    return {
        "working_seconds": working_seconds_since_receipt(case.received_at, at, case.municipality),
        "first_reply": not earlier,
    }


def case_rows_follow(case) -> None:
    """The case's clocks, answers and feedback take its current organisation."""
    from deadlines.models import Deadline

    from .models import Answer, Feedback

    for model in (Deadline, Answer, Feedback):
        model.objects.filter(case_id=case.pk).update(organisation_id=case.organisation_id)


def copies_fill(models) -> None:
    """Copy each row's case's municipality and organisation (``models``: the CaseCopy
    models, current or historical). One UPDATE … FROM per table (PostgreSQL, and SQLite
    from 3.33)."""
    with connection.cursor() as cur:
        for model in models:
            cur.execute(
                f'UPDATE "{model._meta.db_table}" AS r SET municipality_id = c.municipality_id, '
                'organisation_id = c.organisation_id FROM "cases_case" AS c WHERE c.id = r.case_id'
            )


def answer_times_fill(Answer, Municipality, *, batch: int = 20_000) -> int:
    """``working_seconds`` and ``first_reply`` of every published answer (``Answer`` and
    ``Municipality``: current or historical models), read case by case in order of
    publication. Returns the number of answers written."""
    municipalities = {m.pk: m for m in Municipality.objects.all()}
    last_case = None
    updates: list[tuple[int, int | None, bool]] = []
    written = 0
    rows = (
        Answer.objects.filter(published_at__isnull=False)
        .order_by("case_id", "published_at", "pk")
        .values_list("pk", "case_id", "published_at", "case__received_at", "case__municipality_id")
    )
    for pk, case_id, at, received_at, mun_id in rows.iterator(chunk_size=batch):
        first, last_case = case_id != last_case, case_id
        seconds = working_seconds_since_receipt(received_at, at, municipalities[mun_id])
        updates.append((pk, seconds, first))
        if len(updates) >= batch:
            written += _write_times(Answer, updates)
            updates = []
    return written + _write_times(Answer, updates)


def _write_times(Answer, updates) -> int:
    if not updates:
        return 0
    table = Answer._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS _answer_times "
                "(id bigint PRIMARY KEY, seconds integer, first boolean) ON COMMIT DROP"
            )
            cur.execute("TRUNCATE _answer_times")
            with cur.cursor.copy("COPY _answer_times (id, seconds, first) FROM STDIN") as copy:
                for row in updates:
                    copy.write_row(row)
            cur.execute(
                f'UPDATE "{table}" AS a SET working_seconds = t.seconds, first_reply = t.first '
                "FROM _answer_times AS t WHERE t.id = a.id"
            )
        else:
            cur.executemany(
                f'UPDATE "{table}" SET working_seconds = %s, first_reply = %s WHERE id = %s',
                [(seconds, first, pk) for pk, seconds, first in updates],
            )
    return len(updates)
