"""Celery tasks of the deadlines app: thin, idempotent (STYLE §6.6)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction

from mcu.models import Municipality
from mcu.tasks import deliver_notifications as deliver_notifications_task

from . import services
from .models import DeadlinePolicy, DeadlineRule


@shared_task(name="deadlines.sweep", ignore_result=True)
def sweep_deadlines() -> dict:
    """Every minute (mcu/celery.py): breaches, warnings, escalations and their notices."""
    result = services.deadlines_sweep()
    if result.notifications:
        # Breach and fast-track notices go out now, not at the next beat tick.
        transaction.on_commit(deliver_notifications_task.delay)
    return vars(result)


# Only a database that is briefly away is worth another try; a bug is not (STYLE §6.6).
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)


@shared_task(
    name="deadlines.recompute",
    ignore_result=True,
    autoretry_for=TRANSIENT_DB_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def recompute_deadlines(
    request_id: int | None = None,
    municipality_id: int | None = None,
    policy_id: int | None = None,
    rule_id: int | None = None,
    everything: bool = False,
) -> int:
    """Recompute open clocks after a configuration edit: the ``RecomputeRequest`` the
    edit wrote (enqueued after its commit), or a scope given directly.

    Idempotent: it recomputes from the current rules and calendar, so a retry or a second
    delivery changes nothing more. The periodic sweep needs no retry: it runs every minute
    and catches up by itself."""
    if request_id is not None:
        return services.recompute_request_run(request_id=request_id) or 0
    if municipality_id is not None:
        municipality = Municipality.objects.filter(pk=municipality_id).first()
        return services.calendar_changed(municipality=municipality) if municipality else 0
    if policy_id is not None:
        policy = DeadlinePolicy.objects.filter(pk=policy_id).first()
        return services.deadlines_recompute_for_policy(policy=policy) if policy else 0
    if rule_id is not None:
        rule = DeadlineRule.objects.filter(pk=rule_id).first()
        return services.deadlines_recompute_for_rule(rule=rule) if rule else 0
    if everything:
        return services.calendar_changed(municipality=None)
    return 0


@shared_task(name="deadlines.recompute_pending", ignore_result=True)
def recompute_pending() -> int:
    """Every minute (mcu/celery.py): the recomputes that a broker down at the time of the
    edit, or a worker killed in the middle, left behind (the outbox)."""
    return services.recompute_requests_pending_run()


@shared_task(name="deadlines.calendar_expiry_warn", ignore_result=True)
def warn_calendar_expiry() -> int:
    """Daily (mcu/celery.py): from 90 days before the loaded production calendar ends, tell
    the heads of the centres to load the next year; each head once per year."""
    created = services.production_calendar_expiry_warn()
    if created:
        transaction.on_commit(deliver_notifications_task.delay)
    return created
