"""The sweep: breaches, warnings, escalations, and notifications that are never doubled."""

from datetime import timedelta

from deadlines import services
from deadlines.models import Deadline, DeadlinePolicy
from mcu.models import Notification
from tests.deadlines.conftest import nsk
from tests.factories import UserFactory

MONDAY_9 = nsk(2026, 5, 18, 9, 0)


def _keys(event: str) -> set[str]:
    return set(Notification.objects.filter(event=f"deadline.{event}").values_list("key", flat=True))


def _recipients(event: str) -> set[str]:
    return set(
        Notification.objects.filter(event=f"deadline.{event}").values_list(
            "recipient__username", flat=True
        )
    )


def test_breach_is_marked_once_at_the_due_time(make_case):
    clock = services.deadline_start(case=make_case(), stage="answer", started_at=MONDAY_9)
    assert services.deadlines_sweep(now=nsk(2026, 5, 18, 16, 59)).breached == 0
    first = services.deadlines_sweep(now=nsk(2026, 5, 18, 17, 0))
    assert first.breached == 1
    assert services.deadlines_sweep(now=nsk(2026, 5, 18, 17, 1)).breached == 0
    clock.refresh_from_db()
    assert clock.breached_at == nsk(2026, 5, 18, 17, 0)


def test_met_and_cancelled_clocks_are_never_breached(make_case):
    case = make_case()
    services.deadline_start(case=case, stage="first_reply", started_at=MONDAY_9)
    services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    services.deadline_meet(case=case, stage="first_reply", at=nsk(2026, 5, 18, 9, 30))
    services.deadline_cancel(case=case, stage="answer", at=nsk(2026, 5, 18, 9, 30))
    result = services.deadlines_sweep(now=nsk(2026, 5, 19, 9, 0))
    assert (result.breached, result.warned, result.notifications) == (0, 0, 0)


def test_warning_at_the_warn_share(make_case, world):
    services.deadline_start(case=make_case(), stage="answer", started_at=MONDAY_9)
    assert services.deadlines_sweep(now=nsk(2026, 5, 18, 14, 59)).warned == 0
    result = services.deadlines_sweep(now=nsk(2026, 5, 18, 15, 0))
    assert result.warned == 1
    # The organisation's executors (no assignee yet) and the administrators coordinating
    # incidents; not the executors of another organisation.
    assert _recipients("warning") == {"executor", "administrator", "admin_incidents"}
    assert services.deadlines_sweep(now=nsk(2026, 5, 18, 15, 1)).warned == 0


def test_warning_goes_to_the_assignee_when_there_is_one(make_case, world):
    case = make_case(assignee=world.users["executor"])
    UserFactory(
        username="colleague", role="executor", municipality=world.mun, organisation=world.org
    )
    services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    services.deadlines_sweep(now=nsk(2026, 5, 18, 15, 0))
    assert _recipients("warning") == {"executor", "administrator", "admin_incidents"}


def test_breach_also_tells_the_head_of_the_organisation(make_case, org_head):
    services.deadline_start(case=make_case(), stage="answer", started_at=MONDAY_9)
    services.deadlines_sweep(now=nsk(2026, 5, 18, 17, 0))
    assert _recipients("breach") == {"executor", "org_head", "administrator", "admin_incidents"}


def test_escalation_levels_follow_their_delays(make_case, org_head):
    clock = services.deadline_start(case=make_case(), stage="answer", started_at=MONDAY_9)
    services.deadlines_sweep(now=nsk(2026, 5, 18, 17, 0))
    # Level 1: 60 minutes after the breach, to the organisation's head.
    assert services.deadlines_sweep(now=nsk(2026, 5, 18, 17, 59)).escalated_1 == 0
    assert services.deadlines_sweep(now=nsk(2026, 5, 18, 18, 0)).escalated_1 == 1
    assert _recipients("escalation1") == {"org_head"}
    # Level 2: 120 minutes later, to the head of the centre.
    assert services.deadlines_sweep(now=nsk(2026, 5, 18, 19, 59)).escalated_2 == 0
    assert services.deadlines_sweep(now=nsk(2026, 5, 18, 20, 0)).escalated_2 == 1
    assert _recipients("escalation2") == {"head"}
    clock.refresh_from_db()
    assert clock.escalation_level == 2
    assert clock.escalated_at == nsk(2026, 5, 18, 20, 0)
    assert services.deadlines_sweep(now=nsk(2026, 5, 19, 9, 0)).notifications == 0


def test_fast_track_escalation_also_tells_the_curator(make_case, org_head):
    services.deadline_start(case=make_case(fast_track=True), stage="answer", started_at=MONDAY_9)
    services.deadlines_sweep(now=nsk(2026, 5, 18, 23, 0))
    assert _recipients("escalation2") == {"head", "curator"}


def test_a_met_clock_is_not_escalated(make_case, org_head):
    case = make_case()
    services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    services.deadlines_sweep(now=nsk(2026, 5, 18, 17, 0))
    services.deadline_meet(case=case, stage="answer", at=nsk(2026, 5, 18, 17, 30))
    result = services.deadlines_sweep(now=nsk(2026, 5, 18, 23, 0))
    assert (result.escalated_1, result.escalated_2) == (0, 0)


def test_a_sweep_run_twice_creates_no_second_notification(make_case, org_head):
    services.deadline_start(case=make_case(), stage="answer", started_at=MONDAY_9)
    now = nsk(2026, 5, 18, 17, 0)
    services.deadlines_sweep(now=now)
    keys = set(Notification.objects.values_list("key", flat=True))
    # Four breach notices; no warning, as the breach came first in this run.
    assert len(keys) == 4
    # Re-marking is impossible, and even re-notifying the same clocks adds nothing.
    from deadlines.sweep import _notify

    ids = list(Deadline.objects.values_list("pk", flat=True))
    assert _notify(ids, "breach", now) == 0
    services.deadlines_sweep(now=now)
    assert set(Notification.objects.values_list("key", flat=True)) == keys
    assert all(":user:" in key for key in keys)


def test_catch_up_after_an_outage(make_case, org_head):
    # The worker was down: a clock due three hours ago is breached on the next run, dated
    # when it really ran out, and both escalation steps that fell due meanwhile follow.
    case = make_case(fast_track=True)
    clock = services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    now = clock.due_at + timedelta(hours=3)
    result = services.deadlines_sweep(now=now)
    assert (result.breached, result.warned, result.escalated_1) == (1, 0, 1)
    assert result.escalated_2 == 1  # 30 + 60 min after 13:00 is before 16:00
    clock.refresh_from_db()
    assert clock.breached_at == clock.due_at
    assert clock.warned_at is None  # no pointless warning after the breach
    assert _recipients("warning") == set()


def test_warnings_wait_for_working_hours_fast_track_does_not(make_case):
    DeadlinePolicy.objects.filter(code="incident.answer").update(warn_share="0.10")
    ordinary = make_case()
    # Due Tuesday 14:00, warned at 48 working minutes: Monday 15:48.
    services.deadline_start(case=ordinary, stage="answer", started_at=nsk(2026, 5, 18, 15, 0))
    urgent = make_case(fast_track=True)
    # Due 21:30 (240 calendar minutes), warned at 20:30.
    services.deadline_start(case=urgent, stage="answer", started_at=nsk(2026, 5, 18, 17, 30))
    # The worker was down until 20:50: both warnings are due, neither clock is breached.
    services.deadlines_sweep(now=nsk(2026, 5, 18, 20, 50))
    waiting = Notification.objects.filter(event="deadline.warning", key__contains=":")
    ordinary_rows = [n for n in waiting if n.title.endswith(str(ordinary))]
    urgent_rows = [n for n in waiting if n.title.endswith(str(urgent))]
    assert ordinary_rows and urgent_rows
    # The next working moment of Междуреченск: Tuesday 08:00.
    assert {n.send_after for n in ordinary_rows} == {nsk(2026, 5, 19, 8, 0)}
    assert {n.send_after for n in urgent_rows} == {None}


def test_breach_notices_wait_for_working_hours_unless_fast_track(make_case, org_head):
    """DESIGN §3: notices to people wait for working hours (Междуреченск 3.3) unless the
    case is fast-track (3.10: «вне зависимости от дня недели и времени суток»); the
    notice says when the breach happened."""
    ordinary = make_case()
    services.deadline_start(case=ordinary, stage="answer", started_at=MONDAY_9)
    urgent = make_case(fast_track=True)
    services.deadline_start(case=urgent, stage="answer", started_at=nsk(2026, 5, 18, 16, 0))
    services.deadlines_sweep(now=nsk(2026, 5, 18, 21, 0))
    rows = Notification.objects.filter(event="deadline.breach")
    ordinary_rows = [n for n in rows if n.title.endswith(str(ordinary))]
    urgent_rows = [n for n in rows if n.title.endswith(str(urgent))]
    assert ordinary_rows and urgent_rows
    assert {n.send_after for n in ordinary_rows} == {nsk(2026, 5, 19, 8, 0)}
    assert all("Наступило: 18.05.2026 17:00" in n.body for n in ordinary_rows)
    assert {n.send_after for n in urgent_rows} == {None}


def test_silent_policies_are_marked_without_notices(make_case):
    case = make_case()
    clock = services.deadline_start(case=case, stage="reaction", started_at=MONDAY_9)
    assert DeadlinePolicy.objects.get(code="resident.reaction").notify is False
    result = services.deadlines_sweep(now=MONDAY_9 + timedelta(days=2, minutes=1))
    assert result.breached == 1
    assert result.notifications == 0
    clock.refresh_from_db()
    assert clock.breached_at == MONDAY_9 + timedelta(days=2)


def test_batches_cover_every_due_clock(make_case):
    for _ in range(5):
        services.deadline_start(case=make_case(), stage="first_reply", started_at=MONDAY_9)
    result = services.deadlines_sweep(now=nsk(2026, 5, 18, 10, 0), batch_size=2)
    assert result.breached == 5
    assert Deadline.objects.filter(breached_at__isnull=True).count() == 0
