"""Celery tasks of channels: thin, idempotent, id-based (STYLE §6.6).

Beat schedule entries (``mcu/celery.py``): ``channels.train_routing`` daily at 02:15 UTC;
``channels.link_pending`` and ``channels.import_resume`` every minute.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)


@shared_task(
    name="channels.link_duplicates",
    ignore_result=True,
    autoretry_for=TRANSIENT_DB_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def link_duplicates(request_id: int | None = None, case_ids: list[int] | None = None) -> dict:
    """Run a link request (the outbox row ``LinkRequest``): link its cases as repeats or
    into problem clusters (channels.clusters). A request already done is left alone and a
    case already linked is skipped, so a retry links nothing twice. ``case_ids`` is what
    the task took before the outbox (a message still in a queue at the upgrade)."""
    from .clusters import cases_link_duplicates, link_request_run

    if request_id is None:
        return cases_link_duplicates(list(case_ids or []))
    return link_request_run(request_id=request_id) or {}


@shared_task(name="channels.link_pending", ignore_result=True)
def link_pending() -> int:
    """Every minute (mcu/celery.py): the link requests a broker down at ingest, or a
    worker killed in the middle, left behind (the outbox)."""
    from .clusters import link_requests_pending_run

    return link_requests_pending_run()


@shared_task(name="channels.train_routing", ignore_result=True)
def train_routing() -> dict:
    """Daily: retrain every municipality's routing classifier on its routed history."""
    from .suggestions import routing_train_all

    return routing_train_all()


@shared_task(name="channels.import_run", ignore_result=True)
def import_run(job_id: int) -> None:
    """Run an uploaded import (``import_job_run``). A finished job is left as it is, so a
    redelivery changes nothing; the page polls the job's counts."""
    from .import_services import import_job_run

    import_job_run(job_id)


@shared_task(name="channels.import_resume", ignore_result=True)
def import_resume() -> int:
    """Every minute from beat: send again the queued imports whose task never came (the
    broker was down when the file was uploaded). A job already taken is not run twice
    (``import_job_run`` claims it with a compare-and-swap)."""
    from .import_services import import_jobs_resumable

    ids = import_jobs_resumable()
    for job_id in ids:
        import_run.delay(job_id)
    return len(ids)
