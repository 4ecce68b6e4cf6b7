"""Admin pages of the deadlines app: who may edit, and edits that move the open clocks."""

import pytest
from django.urls import reverse

from deadlines import services
from deadlines.models import (
    CalendarDay,
    Deadline,
    DeadlinePolicy,
    DeadlineRule,
    MunicipalCalendarException,
    WorkSchedule,
)
from tests.deadlines.conftest import nsk
from tests.factories import UserFactory

MODELS = [
    CalendarDay,
    Deadline,
    DeadlinePolicy,
    DeadlineRule,
    MunicipalCalendarException,
    WorkSchedule,
]


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True, role="")


@pytest.fixture
def staff_head(world):
    head = world.users["head"]
    head.is_staff = True
    head.save()
    return head


def _url(model, action="changelist", *args):
    return reverse(f"admin:deadlines_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_superuser_sees_every_page(client, superuser, defaults, model):
    client.force_login(superuser)
    assert client.get(_url(model)).status_code == 200
    if model is not Deadline:
        assert client.get(_url(model, "add")).status_code == 200


def test_head_edits_own_exceptions_and_reads_policies(client, staff_head, world, defaults):
    client.force_login(staff_head)
    assert client.get(_url(DeadlinePolicy)).status_code == 200
    policy = DeadlinePolicy.objects.get(code="incident.answer")
    page = client.get(_url(DeadlinePolicy, "change", policy.pk))
    assert page.status_code == 200
    assert b'name="amount"' not in page.content  # read-only for the head
    assert client.get(_url(MunicipalCalendarException, "add")).status_code == 200
    theirs = MunicipalCalendarException.objects.create(
        municipality=world.mun_other, date="2026-05-18"
    )
    assert client.get(_url(MunicipalCalendarException, "change", theirs.pk)).status_code == 302


def test_an_exception_added_in_the_admin_moves_open_clocks(
    client, superuser, make_case, world, django_capture_on_commit_callbacks
):
    case = make_case()
    clock = services.deadline_start(case=case, stage="answer", started_at=nsk(2026, 5, 18, 9, 0))
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(MunicipalCalendarException, "add"),
            {
                "municipality": world.mun.pk,
                "date": "2026-05-18",
                "is_day_off": "on",
                "intervals": "",
                "note": "Решение главы",
            },
        )
    assert response.status_code == 302, response.content
    clock.refresh_from_db()
    # Monday became a day off: 480 working minutes from Tuesday 08:00.
    assert clock.due_at == nsk(2026, 5, 19, 16, 0)


def test_a_policy_edited_in_the_admin_moves_its_clocks(
    client, superuser, make_case, django_capture_on_commit_callbacks
):
    clock = services.deadline_start(
        case=make_case(), stage="first_reply", started_at=nsk(2026, 5, 18, 9, 0)
    )
    policy = clock.policy
    client.force_login(superuser)
    data = {
        "code": policy.code,
        "name": policy.name,
        "unit": policy.unit,
        "amount": 120,
        "warn_share": "0.75",
        "escalation_1_delay": 30,
        "escalation_2_delay": 60,
        "notify": "on",
        "source": policy.source,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(DeadlinePolicy, "change", policy.pk), data)
    assert response.status_code == 302, response.content
    clock.refresh_from_db()
    assert clock.due_at == nsk(2026, 5, 18, 11, 0)


def test_with_the_broker_down_an_admin_edit_succeeds_and_beat_recomputes_later(
    client, superuser, make_case, world, monkeypatch, django_capture_on_commit_callbacks
):
    """The recompute goes through an outbox row written with the edit: a broker that is
    down at the time costs the user nothing, and beat's catch-up runs it."""
    from kombu.exceptions import OperationalError

    from deadlines import tasks
    from deadlines.models import RecomputeRequest

    def broker_down(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setattr(tasks.recompute_deadlines, "delay", broker_down)
    clock = services.deadline_start(
        case=make_case(), stage="answer", started_at=nsk(2026, 5, 18, 9, 0)
    )
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(MunicipalCalendarException, "add"),
            {"municipality": world.mun.pk, "date": "2026-05-18", "is_day_off": "on"},
        )
    assert response.status_code == 302, response.content
    pending = RecomputeRequest.objects.get(done_at__isnull=True)
    assert pending.municipality_id == world.mun.pk
    clock.refresh_from_db()
    assert clock.due_at == nsk(2026, 5, 18, 17, 0)  # not moved yet
    assert tasks.recompute_pending() == 1
    clock.refresh_from_db()
    assert clock.due_at == nsk(2026, 5, 19, 16, 0)
    pending.refresh_from_db()
    assert pending.done_at is not None
    assert tasks.recompute_pending() == 0  # done once


def test_a_recompute_claimed_by_a_worker_that_died_is_run_again(make_case, world):
    from datetime import timedelta

    from django.utils import timezone

    from deadlines.models import RecomputeRequest

    request = RecomputeRequest.objects.create(municipality=world.mun)
    now = timezone.now()
    RecomputeRequest.objects.filter(pk=request.pk).update(started_at=now)
    assert services.recompute_requests_pending_run(now=now) == 0  # someone is on it
    later = now + services.RECOMPUTE_STALE + timedelta(seconds=1)
    assert services.recompute_requests_pending_run(now=later) == 1
