"""Celery tasks of channels: thin, idempotent, id-based (STYLE §6.6)."""

from celery import shared_task


@shared_task(name="channels.import_run", ignore_result=True)
def import_run(job_id: int) -> None:
    """Run an uploaded import (``import_job_run``). A finished job is left as it is, so a
    redelivery changes nothing; the page polls the job's counts."""
    from .import_services import import_job_run

    import_job_run(job_id)
