"""A clock whose warning moved later (recomputed) is warned again; a re-run is not."""

from deadlines import services
from deadlines.models import Deadline, DeadlinePolicy
from mcu.models import Notification
from tests.deadlines.conftest import nsk

MONDAY_9 = nsk(2026, 5, 18, 9, 0)


def _warnings() -> int:
    """The warnings one administrator got (the test runs one clock)."""
    return Notification.objects.filter(
        event="deadline.warning", recipient__username="administrator"
    ).count()


def test_a_recomputed_clock_is_warned_again_once(make_case):
    clock = services.deadline_start(case=make_case(), stage="answer", started_at=MONDAY_9)
    first_warn_at = clock.warn_at
    assert services.deadlines_sweep(now=first_warn_at).warned == 1
    assert _warnings() == 1

    # The term grows (480 → 960 working minutes): the warning moves into the future.
    policy = DeadlinePolicy.objects.get(code="incident.answer")
    policy.amount = 960
    policy.save()
    assert services.deadlines_recompute_for_policy(policy=policy, now=first_warn_at) == 1
    clock.refresh_from_db()
    assert clock.warned_at is None
    assert clock.warn_at > first_warn_at

    assert services.deadlines_sweep(now=clock.warn_at).warned == 1
    assert _warnings() == 2
    # The same sweep again, and a later one: nothing new.
    services.deadlines_sweep(now=clock.warn_at)
    clock.refresh_from_db()
    Deadline.objects.filter(pk=clock.pk).update(warned_at=None)  # a sweep that crashed
    services.deadlines_sweep(now=clock.warn_at)
    assert _warnings() == 2
