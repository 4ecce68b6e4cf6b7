"""Which actions each role sees on a case: the card shows these buttons and no others, the
API lists them (``case_allowed_actions``)."""

import datetime as dt

import pytest
from django.utils import timezone

from cases.services import case_allowed_actions
from cases.workflow import ACTIONS, TRANSITIONS, roles_of
from deadlines.models import Deadline

EXPECTED = {
    # status → persona → allowed actions
    "new": {
        "administrator": ["assign", "reject"],
        "head": ["assign", "reject", "set_fast_track"],
        "curator": ["set_fast_track"],
        "observer": [],
        "integration": [],
    },
    "assigned": {
        "administrator": ["assign", "reject"],
        "executor": ["accept", "request_reassignment", "interim_answer"],
        "curator": ["set_fast_track"],
    },
    "in_progress": {
        "executor": ["interim_answer", "submit_answer"],
        "administrator": [],
        "curator": ["set_fast_track"],
    },
    "on_review": {
        "administrator": ["approve", "return"],
        "head": ["approve", "return", "set_fast_track"],
        "curator": ["set_fast_track"],
        "executor": [],
    },
    "on_approval": {
        "administrator": [],
        "curator": ["approve", "return", "set_fast_track"],
        "head": ["return", "set_fast_track"],
    },
    "approved": {"administrator": ["return", "publish"], "executor": []},
    "published": {
        "administrator": ["feedback"],
        "integration": ["feedback"],
        "executor": [],
        "observer": [],
    },
}


@pytest.mark.parametrize(
    ("status", "persona", "expected"),
    [
        (status, persona, expected)
        for status, by_persona in EXPECTED.items()
        for persona, expected in by_persona.items()
    ],
)
def test_allowed_actions_by_status_and_role(world, case_in_status, status, persona, expected):
    case = case_in_status[status]
    case.refresh_from_db()
    assert case_allowed_actions(world.users[persona], case) == expected


def test_reassignment_is_offered_only_inside_the_window(world, make_case, drive):
    case = drive(make_case(), "assigned")
    Deadline.objects.filter(case=case, stage="reassign_window").update(
        due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert "request_reassignment" not in case_allowed_actions(world.users["executor"], case)


def test_closed_cases_offer_nothing(world, make_case):
    from cases import services

    case = make_case()
    case = services.case_reject(case.pk, actor=world.users["administrator"], reason="Спам")
    for persona in ("administrator", "head", "curator", "executor"):
        assert case_allowed_actions(world.users[persona], case) == []


def test_the_table_names_known_statuses_and_roles():
    from cases.choices import CaseStatus
    from mcu.choices import Role

    for action, rows in TRANSITIONS.items():
        assert roles_of(action)
        for row in rows:
            assert row.sources <= set(CaseStatus.values), action
            assert row.target is None or row.target in CaseStatus.values
            assert row.roles <= set(Role.values) | {"system"}
            assert row.event
    assert "close" not in ACTIONS  # the desk's own step is not a button
