"""Celery tasks of cases: thin, idempotent, id-based (STYLE §6.6).

Beat schedule entry (declared by the lead in ``mcu/celery.py``)::

    "cases-close-unreacted": {"task": "cases.close_unreacted", "schedule": crontab()},
"""

import logging

from celery import shared_task

from mcu.exceptions import DeskError

logger = logging.getLogger(__name__)

#: cases closed per run; a full batch re-enqueues the task (Saleor's bounded sweeps)
CLOSE_BATCH = 200


@shared_task(name="cases.close_unreacted")
def close_unreacted(batch_size: int = CLOSE_BATCH) -> int:
    """Междуреченск 3.6: «если житель в течении двух дней не напишет комментарий, то ответ
    будет считаться готовым» — close published cases whose reaction clock ran out.

    Set-based: one query picks at most ``batch_size`` expired reaction clocks; each case is
    closed through ``case_auto_close`` (its own transaction, one event). A case the
    resident reacted to in the meantime is no longer «Опубликовано» and is skipped by the
    service's compare-and-swap, so running twice closes nothing twice.
    """
    from cases import clocks
    from cases.models import Case
    from cases.services import case_auto_close

    ids = clocks.expired_reaction_case_ids(limit=batch_size)
    closed = 0
    for case_id in ids:
        try:
            case_auto_close(case_id)
            closed += 1
        except DeskError as exc:
            logger.info("case %s not auto-closed: %s", case_id, exc)
            # Not published any more (a reaction came in) but the clock still runs: stop it
            # so it is not picked again.
            case = Case.objects.filter(pk=case_id).first()
            if case is not None and case.status != "published":
                clocks.meet(case, clocks.REACTION)
    if closed and len(ids) >= batch_size:
        close_unreacted.delay(batch_size)
    return closed


@shared_task(name="cases.retention_erase", ignore_result=True)
def retention_erase() -> int:
    """Daily (mcu/celery.py): 152-ФЗ ст. 5 ч. 7 — personal data of cases finished more
    than ``PERSONAL_DATA_RETENTION_DAYS`` ago are erased. Idempotent: erased fields are
    empty, so a second run finds nothing."""
    from django.conf import settings

    from cases.services import personal_data_retention_erase

    return personal_data_retention_erase(older_than_days=settings.PERSONAL_DATA_RETENTION_DAYS)
