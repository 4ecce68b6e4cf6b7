"""Celery tasks of channels: thin, idempotent, id-based (STYLE §6.6)."""

from celery import shared_task


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
