"""Celery tasks of the ground floor: thin (STYLE §6.6)."""

from celery import shared_task

from .notifications import notifications_deliver


@shared_task(name="mcu.deliver_notifications", ignore_result=True)
def deliver_notifications() -> dict:
    """Every minute (mcu/celery.py), and right after a sweep created notices."""
    return vars(notifications_deliver())
