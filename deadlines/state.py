"""The state of a clock — defined once (DESIGN §4), in Python and in SQL.

Every reader asks this module: the API's ``clocks[].state``, the badges of the card and
the list, the overdue / at-risk filters and queues, and the analytics. The sweep *marks*
breaches every minute, but nobody waits for it: a running clock past its due time is
breached from that instant on, marked or not, so a figure never disagrees with a badge.

| state | when |
|---|---|
| ``met`` | met in time (``met_at <= due_at``) |
| ``met_late`` | met after the due time |
| ``cancelled`` | stopped without being met (the case was rejected, closed, reassigned) |
| ``breached`` | running and past due (``breached_at`` set, or ``due_at <= now``) |
| ``at_risk`` | running, not past due, past the warning time |
| ``paused`` | running on working time, and now is outside working hours |
| ``running`` | otherwise |

A clock cancelled after it ran out is ``cancelled`` here but keeps its ``breached_at``
(set when it is cancelled or met, if the sweep had not marked it yet): the breach stays on
record and is counted.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone

__all__ = [
    "BREACHED",
    "CLOCK_STATES",
    "clock_state",
    "q_at_risk",
    "q_breached",
    "q_running",
    "q_was_breached",
]

MET, MET_LATE, CANCELLED, BREACHED, AT_RISK, PAUSED, RUNNING = (
    "met",
    "met_late",
    "cancelled",
    "breached",
    "at_risk",
    "paused",
    "running",
)
CLOCK_STATES = (RUNNING, PAUSED, AT_RISK, BREACHED, MET, MET_LATE, CANCELLED)


def clock_state(clock, *, now: datetime | None = None, calendar=None) -> str:
    """The state of one ``Deadline``. ``calendar`` (the municipality's) is only needed to
    tell ``paused`` from ``running`` for working-time clocks; without it, never paused."""
    now = now or timezone.now()
    if clock.met_at is not None:
        late = clock.breached_at is not None or clock.met_at > clock.due_at
        return MET_LATE if late else MET
    if clock.cancelled_at is not None:
        return CANCELLED
    if clock.breached_at is not None or clock.due_at <= now:
        return BREACHED
    if clock.warn_at is not None and clock.warn_at <= now:
        return AT_RISK
    if calendar is not None and clock.policy.is_working_time:
        from .engine import CalendarDataMissing, next_working_moment

        try:
            if next_working_moment(now, calendar) > now:
                return PAUSED
        except CalendarDataMissing:
            pass
    return RUNNING


# -- the same in SQL, for Deadline querysets ----------------------------------------------


def q_running() -> Q:
    """Running: neither met nor cancelled (breached ones still run: they can be met late)."""
    return Q(met_at__isnull=True, cancelled_at__isnull=True)


def q_breached(now: datetime | None = None) -> Q:
    """Running and past due, marked by the sweep or not."""
    now = now or timezone.now()
    return q_running() & (Q(breached_at__isnull=False) | Q(due_at__lte=now))


def q_at_risk(now: datetime | None = None) -> Q:
    """Running, not past due, past the warning time."""
    now = now or timezone.now()
    return q_running() & Q(breached_at__isnull=True, due_at__gt=now, warn_at__lte=now)


def q_breach_on_record() -> Q:
    """A breach that stays whatever happens next: marked by the sweep, or met late."""
    return Q(breached_at__isnull=False) | Q(met_at__isnull=False, met_at__gt=F("due_at"))


def q_was_breached(now: datetime | None = None) -> Q:
    """Ever breached, whatever happened after: marked, met late, or still running past
    due (the analytics' «просрочено», with nothing dropped from the count)."""
    now = now or timezone.now()
    return q_breach_on_record() | (q_running() & Q(due_at__lte=now))
