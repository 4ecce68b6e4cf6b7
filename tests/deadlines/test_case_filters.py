"""The deadline filters of the case list: overdue, due today, at risk, by nearest deadline."""

import pytest
from django.test import RequestFactory
from django.utils import timezone

from cases.filtersets import CaseFilterSet
from cases.models import Case
from deadlines import services
from tests.deadlines.conftest import nsk

NOW = nsk(2026, 5, 20, 10, 0)  # Wednesday


@pytest.fixture
def cases(make_case, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    overdue = make_case(registration_number="OVERDUE")
    services.deadline_start(case=overdue, stage="answer", started_at=nsk(2026, 5, 18, 9, 0))
    at_risk = make_case(registration_number="AT-RISK")
    services.deadline_start(case=at_risk, stage="answer", started_at=nsk(2026, 5, 19, 12, 0))
    later = make_case(registration_number="LATER", kind="pos")
    services.deadline_start(case=later, stage="answer", started_at=nsk(2026, 5, 19, 9, 0))
    met = make_case(registration_number="MET")
    services.deadline_start(case=met, stage="answer", started_at=nsk(2026, 5, 18, 9, 0))
    services.deadline_meet(case=met, stage="answer", at=nsk(2026, 5, 18, 10, 0))
    none = make_case(registration_number="NONE")
    services.deadlines_sweep(now=NOW)
    return {"overdue": overdue, "at_risk": at_risk, "later": later, "met": met, "none": none}


def _numbers(params, user=None) -> list[str]:
    request = RequestFactory().get("/cases/", params)
    if user is not None:
        request.user = user
    fs = CaseFilterSet(params, queryset=Case.objects.all(), request=request)
    assert fs.is_valid(), fs.errors
    return [c.registration_number for c in fs.qs]


def test_overdue(cases):
    assert _numbers({"overdue": "true"}) == ["OVERDUE"]
    assert set(_numbers({"overdue": "false"})) == {"AT-RISK", "LATER", "MET", "NONE"}


def test_at_risk(cases):
    # Started Tuesday 12:00: due Wednesday 11:00, warned (360 working min) at 09:00.
    assert _numbers({"at_risk": "true"}) == ["AT-RISK"]


def test_due_today_in_the_users_zone(cases, world):
    assert _numbers({"due_today": "true"}, user=world.users["administrator"]) == ["AT-RISK"]


def test_a_breach_earlier_today_is_due_today_too(make_case, world, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    case = make_case(registration_number="EARLY")
    services.deadline_start(case=case, stage="first_reply", started_at=nsk(2026, 5, 20, 8, 0))
    assert _numbers({"due_today": "true"}, user=world.users["administrator"]) == ["EARLY"]


def test_ordering_by_nearest_deadline(cases):
    assert _numbers({"ordering": "deadline"}) == ["OVERDUE", "AT-RISK", "LATER", "MET", "NONE"]
    descending = _numbers({"ordering": "-deadline"})
    assert descending[:3] == ["LATER", "AT-RISK", "OVERDUE"]
    assert set(descending[3:]) == {"MET", "NONE"}  # no running clock: last either way


def test_nearest_due_annotation(cases):
    from deadlines.selectors import with_nearest_due

    qs = with_nearest_due(Case.objects.filter(pk=cases["later"].pk))
    # pos.answer: 19 May + 20 days = 8 June, until 17:00.
    assert qs.get().nearest_due_at == nsk(2026, 6, 8, 17, 0)
    assert with_nearest_due(Case.objects.filter(pk=cases["met"].pk)).get().nearest_due_at is None


def test_a_closed_window_or_a_reaction_wait_is_not_overdue(make_case, world, monkeypatch):
    """Only obligations count: the end of the 30-minute reassignment window or of the
    resident's two-day wait is not a breach of the desk (filter, queue and sort agree)."""
    from cases.queues import queue_apply

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    window = make_case(registration_number="WINDOW")
    services.deadline_start(case=window, stage="reassign_window", started_at=nsk(2026, 5, 18, 9))
    waiting = make_case(registration_number="WAITING", status="published")
    services.deadline_start(case=waiting, stage="reaction", started_at=nsk(2026, 5, 15, 9))
    late = make_case(registration_number="LATE")
    services.deadline_start(case=late, stage="answer", started_at=nsk(2026, 5, 18, 9))
    # Past due but not swept yet: a list does not wait for the sweep.
    assert _numbers({"overdue": "true"}) == ["LATE"]
    admin = world.users["administrator"]
    queue = queue_apply(Case.objects.all(), "overdue", admin)
    assert [c.registration_number for c in queue] == ["LATE"]
    ordered = _numbers({"ordering": "deadline"})
    assert ordered[0] == "LATE"
