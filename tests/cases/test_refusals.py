"""Every refusal of the workflow: a role that may not (403), a status that does not allow
it (409), a case outside the user's scope (404), a missing reason or field (400 naming it),
a late reassignment request. A refused action changes nothing and writes no event."""

import datetime as dt

import pytest
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent
from deadlines.models import Deadline
from mcu.exceptions import InvalidInput, NotAllowed, NotFound, StateConflict
from tests.cases.conftest import future, png
from tests.factories import OrganisationFactory

# action → (status it is taken from, a call with valid input)
CALLS = {
    "assign": (
        "new",
        lambda w, c, u: services.case_assign(
            c.pk, actor=u, organisation=w.org, category=c.category or _cat()
        ),
    ),
    "reject": ("new", lambda w, c, u: services.case_reject(c.pk, actor=u, reason="Спам")),
    "accept": ("assigned", lambda w, c, u: services.case_accept(c.pk, actor=u)),
    "request_reassignment": (
        "assigned",
        lambda w, c, u: services.case_request_reassignment(
            c.pk, actor=u, reason="Не наша компетенция"
        ),
    ),
    "interim_answer": (
        "in_progress",
        lambda w, c, u: services.case_give_interim_answer(
            c.pk, actor=u, text="Скоро", promised_at=future()
        ),
    ),
    "submit_answer": (
        "in_progress",
        lambda w, c, u: services.case_submit_answer(
            c.pk, actor=u, text="Готово", attachments=[png()]
        ),
    ),
    "approve": ("on_review", lambda w, c, u: services.case_approve(c.pk, actor=u)),
    "return": ("on_review", lambda w, c, u: services.case_return(c.pk, actor=u, reason="Нет фото")),
    "publish": ("approved", lambda w, c, u: services.case_publish(c.pk, actor=u)),
    "feedback": (
        "published",
        lambda w, c, u: services.case_record_feedback(c.pk, actor=u, rating=5),
    ),
    "set_fast_track": (
        "in_progress",
        lambda w, c, u: services.case_set_fast_track(c.pk, actor=u, value=True),
    ),
}

# Roles that may take each action (the others get 403). Observers never act.
ALLOWED = {
    "assign": {"administrator", "head"},
    "reject": {"administrator", "head"},
    "accept": {"executor"},
    "request_reassignment": {"executor"},
    "interim_answer": {"executor"},
    "submit_answer": {"executor"},
    "approve": {"administrator", "head", "curator"},
    "return": {"administrator", "head", "curator"},
    "publish": {"administrator", "head"},
    "feedback": {"administrator", "head", "integration"},
    "set_fast_track": {"curator", "head"},
}
PERSONAS = ["curator", "head", "administrator", "executor", "observer", "integration", "norole"]


def _cat():
    from mcu.models import Category

    return Category.objects.get(code="roads-repair")


def _prepare(world, make_case, drive, status):
    case = make_case()
    return drive(case, status) if status != "new" else case


def _assert_unchanged(case, version, events):
    case.refresh_from_db()
    assert case.version == version
    assert CaseEvent.objects.filter(case=case).count() == events


@pytest.mark.parametrize(
    ("action", "persona"),
    [
        (action, persona)
        for action in CALLS
        for persona in PERSONAS
        if persona not in ALLOWED[action]
    ],
)
def test_a_role_that_may_not_act_gets_403(world, case_in_status, action, persona):
    status, call = CALLS[action]
    case = case_in_status[status]
    case.refresh_from_db()
    version, events = case.version, CaseEvent.objects.filter(case=case).count()
    user = world.users[persona]
    # A user who does not see the case learns nothing about it: 404, not 403.
    visible = Case.objects.visible_to(user).filter(pk=case.pk).exists()
    with pytest.raises(NotAllowed if visible else NotFound):
        call(world, case, user)
    _assert_unchanged(case, version, events)


@pytest.mark.parametrize(
    ("action", "persona", "wrong_status"),
    [
        ("assign", "administrator", "in_progress"),
        ("reject", "administrator", "published"),
        ("accept", "executor", "in_progress"),
        ("request_reassignment", "executor", "on_review"),
        ("request_reassignment", "executor", "in_progress"),  # accepting closed the window
        ("interim_answer", "executor", "on_review"),
        ("submit_answer", "executor", "assigned"),
        ("approve", "administrator", "in_progress"),
        ("approve", "curator", "on_review"),  # the curator's turn comes after the review
        ("return", "administrator", "published"),
        ("publish", "administrator", "on_review"),
        ("feedback", "administrator", "approved"),
        ("feedback", "integration", "in_progress"),
    ],
)
def test_a_wrong_status_is_a_409(world, make_case, drive, action, persona, wrong_status):
    _, call = CALLS[action]
    case = _prepare(world, make_case, drive, wrong_status)
    version, events = case.version, CaseEvent.objects.filter(case=case).count()
    with pytest.raises(StateConflict):
        call(world, case, world.users[persona])
    _assert_unchanged(case, version, events)


def test_closed_and_rejected_cases_take_no_action(world, make_case, category):
    case = make_case()
    services.case_reject(case.pk, actor=world.users["administrator"], reason="Спам")
    with pytest.raises(StateConflict):
        services.case_set_fast_track(case.pk, actor=world.users["curator"], value=True)
    with pytest.raises(StateConflict):
        services.case_assign(
            case.pk, actor=world.users["administrator"], organisation=world.org, category=_cat()
        )


@pytest.mark.parametrize("persona", ["curator_other", "executor_other"])
def test_a_case_outside_the_scope_is_a_404(world, make_case, drive, persona):
    case = drive(make_case(), "assigned")
    with pytest.raises(NotFound):
        services.case_accept(case.pk, actor=world.users[persona])
    with pytest.raises(NotFound):
        services.case_set_fast_track(case.pk, actor=world.users[persona], value=True)


def test_an_administrator_of_other_kinds_does_not_see_the_case(world, make_case):
    case = make_case("pos")
    with pytest.raises(NotFound):
        services.case_reject(case.pk, actor=world.users["admin_incidents"], reason="Спам")


def test_a_missing_case_is_a_404(world):
    with pytest.raises(NotFound):
        services.case_accept(10**9, actor=world.users["executor"])


@pytest.mark.parametrize(
    ("action", "status", "persona", "call"),
    [
        (
            "reject",
            "new",
            "administrator",
            lambda c, u: services.case_reject(c.pk, actor=u, reason="  "),
        ),
        (
            "request_reassignment",
            "assigned",
            "executor",
            lambda c, u: services.case_request_reassignment(c.pk, actor=u, reason=""),
        ),
        (
            "return",
            "on_review",
            "administrator",
            lambda c, u: services.case_return(c.pk, actor=u, reason=""),
        ),
    ],
)
def test_a_missing_reason_is_a_400_naming_the_field(
    world, make_case, drive, action, status, persona, call
):
    case = _prepare(world, make_case, drive, status)
    with pytest.raises(InvalidInput) as exc:
        call(case, world.users[persona])
    assert exc.value.field == "reason"
    assert exc.value.as_dict() == {"reason": ["Укажите причину."]}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": "", "promised_at": None}, "text"),
        ({"text": "Скоро", "promised_at": None}, "promised_at"),
        ({"text": "Скоро", "promised_at": "past"}, "promised_at"),
    ],
)
def test_interim_answer_needs_text_and_a_future_date(world, make_case, drive, kwargs, field):
    case = drive(make_case(), "in_progress")
    if kwargs["promised_at"] == "past":
        kwargs["promised_at"] = timezone.now() - dt.timedelta(hours=1)
    with pytest.raises(InvalidInput) as exc:
        services.case_give_interim_answer(case.pk, actor=world.users["executor"], **kwargs)
    assert exc.value.field == field


def test_submit_answer_needs_text(world, make_case, drive):
    case = drive(make_case(), "in_progress")
    with pytest.raises(InvalidInput) as exc:
        services.case_submit_answer(case.pk, actor=world.users["executor"], text=" ")
    assert exc.value.field == "text"


@pytest.mark.parametrize(("kwargs", "field"), [({}, "rating"), ({"rating": 6}, "rating")])
def test_feedback_needs_a_rating_or_a_comment(world, make_case, drive, kwargs, field):
    case = drive(make_case(), "published")
    with pytest.raises(InvalidInput) as exc:
        services.case_record_feedback(case.pk, actor=world.users["administrator"], **kwargs)
    assert exc.value.field == field


def test_assigning_an_organisation_of_another_municipality_is_refused(world, make_case, category):
    case = make_case()
    with pytest.raises(InvalidInput) as exc:
        services.case_assign(
            case.pk,
            actor=world.users["administrator"],
            organisation=world.org_other,
            category=_cat(),
        )
    assert exc.value.field == "organization"


def test_a_late_reassignment_request_is_refused(world, make_case, drive):
    case = drive(make_case(), "assigned")
    # Междуреченск §2: 30 minutes of the assignment have passed.
    Deadline.objects.filter(case=case, stage="reassign_window").update(
        due_at=timezone.now() - dt.timedelta(seconds=1)
    )
    version = case.version
    with pytest.raises(StateConflict) as exc:
        services.case_request_reassignment(
            case.pk, actor=world.users["executor"], reason="Не наша компетенция"
        )
    assert "30 минут" in str(exc.value.message)
    _assert_unchanged(case, version, 2)  # registration and assignment only


def test_a_reassignment_request_after_the_window_was_breached_is_refused(world, make_case, drive):
    case = drive(make_case(), "assigned")
    Deadline.objects.filter(case=case, stage="reassign_window").update(breached_at=timezone.now())
    with pytest.raises(StateConflict):
        services.case_request_reassignment(case.pk, actor=world.users["executor"], reason="Не наша")


def test_fast_track_set_to_what_it_already_is_is_a_conflict(world, make_case, drive):
    case = drive(make_case(), "in_progress")
    with pytest.raises(StateConflict):
        services.case_set_fast_track(case.pk, actor=world.users["curator"], value=False)


def test_executor_of_another_organisation_cannot_answer(world, make_case, drive):
    OrganisationFactory(municipality=world.mun)
    case = drive(make_case(), "in_progress")
    with pytest.raises(NotFound):
        services.case_submit_answer(case.pk, actor=world.users["executor_other"], text="Не наше")
