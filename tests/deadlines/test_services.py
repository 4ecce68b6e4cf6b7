"""The services the workflow calls: start, meet, cancel, recompute."""

from datetime import timedelta

import pytest

from deadlines import services
from deadlines.models import Deadline, DeadlinePolicy
from deadlines.selectors import deadline_reassign_allowed, deadline_running, deadlines_for_case
from tests.deadlines.conftest import nsk

MONDAY_9 = nsk(2026, 5, 18, 9, 0)


def test_start_computes_due_and_warning_in_working_minutes(make_case):
    clock = services.deadline_start(case=make_case(), stage="answer", started_at=MONDAY_9)
    assert clock.policy.code == "incident.answer"
    # Междуреченск 3.8: 8 working hours; 08:00–17:00 → 09:00 + 480 min = 17:00.
    assert clock.due_at == nsk(2026, 5, 18, 17, 0)
    # Warned at three quarters of the working time: 360 min → 15:00.
    assert clock.warn_at == nsk(2026, 5, 18, 15, 0)
    # Escalations: 60 min after the breach, 120 more for the head of the centre.
    assert clock.escalate_1_at == nsk(2026, 5, 18, 18, 0)
    assert clock.escalate_2_at == nsk(2026, 5, 18, 20, 0)


def test_start_on_a_friday_evening_runs_over_the_holidays(make_case):
    # 8 May 2026 is a shortened day (ends 16:00), 9–11 May are days off.
    clock = services.deadline_start(
        case=make_case(), stage="answer", started_at=nsk(2026, 5, 8, 16, 30)
    )
    assert clock.due_at == nsk(2026, 5, 12, 16, 0)


def test_start_twice_returns_the_running_clock(make_case):
    case = make_case()
    first = services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    again = services.deadline_start(
        case=case, stage="answer", started_at=MONDAY_9 + timedelta(hours=1)
    )
    assert again.pk == first.pk
    assert Deadline.objects.filter(case=case).count() == 1


def test_start_without_a_rule_returns_none(make_case):
    assert services.deadline_start(case=make_case(kind="pos"), stage="first_reply") is None


def test_promise_uses_the_promised_date(make_case):
    promised = nsk(2026, 5, 25, 12, 0)
    clock = services.deadline_start(
        case=make_case(), stage="promise", started_at=MONDAY_9, due_at=promised
    )
    assert clock.policy.code == "case.promise"
    assert clock.due_at == promised
    assert clock.warn_at == MONDAY_9 + (promised - MONDAY_9) * 0.75


def test_promise_without_a_date_is_an_error(make_case):
    with pytest.raises(ValueError, match="due_at"):
        services.deadline_start(case=make_case(), stage="promise", started_at=MONDAY_9)


def test_naive_times_are_refused(make_case):
    with pytest.raises(ValueError, match="timezone-aware"):
        services.deadline_start(
            case=make_case(), stage="answer", started_at=MONDAY_9.replace(tzinfo=None)
        )


def test_meet_marks_the_running_clock_and_counts(make_case):
    case = make_case()
    services.deadline_start(case=case, stage="first_reply", started_at=MONDAY_9)
    services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    met_at = nsk(2026, 5, 18, 9, 20)
    assert services.deadline_meet(case=case, stage="first_reply", at=met_at) == 1
    assert services.deadline_meet(case=case, stage="first_reply", at=met_at) == 0
    assert deadline_running(case=case, stage="first_reply") is None
    assert deadline_running(case=case, stage="answer") is not None
    assert Deadline.objects.get(case=case, stage="first_reply").met_at == met_at


def test_a_breached_clock_can_be_met_late_and_keeps_its_breach(make_case):
    case = make_case()
    clock = services.deadline_start(case=case, stage="first_reply", started_at=MONDAY_9)
    services.deadlines_sweep(now=nsk(2026, 5, 18, 11, 0))
    assert services.deadline_meet(case=case, stage="first_reply", at=nsk(2026, 5, 18, 11, 5)) == 1
    clock.refresh_from_db()
    assert clock.breached_at == nsk(2026, 5, 18, 10, 0)
    assert clock.met_at == nsk(2026, 5, 18, 11, 5)


def test_cancel_stops_one_stage_or_all(make_case):
    case = make_case()
    for stage in ("first_reply", "answer", "reassign_window"):
        services.deadline_start(case=case, stage=stage, started_at=MONDAY_9)
    assert services.deadline_cancel(case=case, stage="reassign_window") == 1
    assert services.deadline_cancel(case=case) == 2
    assert not Deadline.objects.running().filter(case=case).exists()
    assert Deadline.objects.filter(case=case, cancelled_at__isnull=False, met_at=None).count() == 3


def test_reopen_starts_a_new_answer_clock_after_the_met_one(make_case):
    case = make_case()
    first = services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    services.deadline_meet(case=case, stage="answer", at=nsk(2026, 5, 18, 12, 0))
    second = services.deadline_start(case=case, stage="answer", started_at=nsk(2026, 5, 19, 9, 0))
    assert second.pk != first.pk
    assert [c.pk for c in deadlines_for_case(case)] == [first.pk, second.pk]


def test_fast_track_switches_the_answer_clock_and_back(make_case):
    case = make_case()
    clock = services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    first_reply = services.deadline_start(case=case, stage="first_reply", started_at=MONDAY_9)
    case.fast_track = True
    case.save()
    now = nsk(2026, 5, 18, 9, 30)
    # Междуреченск 3.8: on a fast-track case every clock runs in calendar time, the first
    # reply too (so that it never falls after the answer).
    assert services.deadlines_recompute(case=case, now=now) == 2
    clock.refresh_from_db()
    assert clock.policy.code == "incident.fast_track"
    assert clock.started_at == MONDAY_9
    assert clock.due_at == nsk(2026, 5, 18, 13, 0)  # 240 calendar minutes
    assert clock.warn_at == nsk(2026, 5, 18, 12, 0)
    first_reply.refresh_from_db()
    assert first_reply.policy.code == "incident.first_reply_fast"
    assert first_reply.due_at == nsk(2026, 5, 18, 10, 0)
    assert first_reply.due_at == nsk(2026, 5, 18, 10, 0)  # untouched

    case.fast_track = False
    case.save()
    # Междуреченск 3.8: on a fast-track case every clock runs in calendar time, the first
    # reply too (so that it never falls after the answer).
    assert services.deadlines_recompute(case=case, now=now) == 2
    clock.refresh_from_db()
    assert clock.policy.code == "incident.answer"
    assert clock.due_at == nsk(2026, 5, 18, 17, 0)


def test_recompute_leaves_met_breached_and_cancelled_clocks_alone(make_case):
    case = make_case()
    met = services.deadline_start(case=case, stage="first_reply", started_at=MONDAY_9)
    services.deadline_meet(case=case, stage="first_reply", at=nsk(2026, 5, 18, 9, 10))
    breached = services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    services.deadlines_sweep(now=nsk(2026, 5, 18, 17, 30))
    case.fast_track = True
    case.save()
    assert services.deadlines_recompute(case=case, now=nsk(2026, 5, 18, 17, 31)) == 0
    breached.refresh_from_db()
    met.refresh_from_db()
    assert breached.policy.code == "incident.answer"
    assert breached.due_at == nsk(2026, 5, 18, 17, 0)


def test_policy_edit_recomputes_its_open_clocks(make_case):
    case = make_case()
    clock = services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    policy = DeadlinePolicy.objects.get(code="incident.answer")
    policy.amount = 120
    policy.save()
    assert services.deadlines_recompute_for_policy(policy=policy, now=MONDAY_9) == 1
    clock.refresh_from_db()
    assert clock.due_at == nsk(2026, 5, 18, 11, 0)


def test_reassignment_is_allowed_only_inside_the_window(make_case):
    case = make_case()
    assert not deadline_reassign_allowed(case=case, at=MONDAY_9)
    services.deadline_start(case=case, stage="reassign_window", started_at=MONDAY_9)
    # Междуреченск §2: «в течение 30 минут».
    assert deadline_reassign_allowed(case=case, at=nsk(2026, 5, 18, 9, 29))
    assert not deadline_reassign_allowed(case=case, at=nsk(2026, 5, 18, 9, 30))


def test_defaults_load_is_idempotent(defaults):
    assert services.deadline_defaults_load() == 0
    assert services.production_calendar_load() == 0
    assert DeadlinePolicy.objects.count() == 15


def test_recompute_task_retries_only_a_database_that_is_briefly_away():
    from django.db import OperationalError

    from deadlines.tasks import recompute_deadlines

    assert OperationalError in recompute_deadlines.autoretry_for
    assert ValueError not in recompute_deadlines.autoretry_for
    assert recompute_deadlines.max_retries == 5
