"""Every transition of the lifecycle at the service level (DESIGN §3): the new status,
exactly one event with actor, from → to, reason and payload, and the clocks it moves."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cases import services
from cases.choices import CaseStatus, EventAction
from cases.models import Answer, CaseEvent, Feedback
from deadlines.models import Deadline
from mcu.exceptions import InvalidInput
from tests.cases.conftest import PDF, future, png
from tests.factories import CategoryFactory


def _events(case):
    return list(CaseEvent.objects.filter(case=case).order_by("at", "id"))


def _last_event(case):
    return CaseEvent.objects.filter(case=case).order_by("-at", "-id").first()


def _running(case) -> set[str]:
    return set(Deadline.objects.running().filter(case=case).values_list("stage", flat=True))


def _met(case) -> set[str]:
    return set(
        Deadline.objects.filter(case=case, met_at__isnull=False).values_list("stage", flat=True)
    )


@pytest.mark.parametrize(
    ("kind", "stages"),
    [
        ("incident", {"first_reply", "answer"}),
        ("pos", {"answer"}),
        ("hotline", {"answer"}),
        # 59-ФЗ ст. 8 ч. 2, ст. 12 ч. 1: only the registration runs from receipt; the
        # answer's 30 days run from the registration date.
        ("appeal", {"register"}),
    ],
)
def test_registration_starts_the_clocks_of_the_kind(make_case, kind, stages):
    case = make_case(kind)
    assert _running(case) == stages
    assert [e.action for e in _events(case)] == [EventAction.REGISTER]


def test_administrator_assigns_with_category_district_and_fast_track_proposal(
    world, make_case, category, district
):
    case = make_case()
    before = case.version
    case = services.case_assign(
        case.pk,
        actor=world.users["administrator"],
        organisation=world.org,
        category=category,
        district=district,
        address="ул. Кузнецкая, 5",
        propose_fast_track=True,
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED
    assert (case.organisation, case.category, case.district) == (world.org, category, district)
    assert case.address == "ул. Кузнецкая, 5"
    # Междуреченск 3.8: «Повышенная важность определяется куратором» — proposed only.
    assert case.fast_track is False and case.fast_track_proposed is True
    assert case.version == before + 1
    event = _last_event(case)
    assert (event.action, event.from_status, event.to_status) == ("assign", "new", "assigned")
    assert event.actor == world.users["administrator"]
    assert event.payload["organization"] == world.org.pk
    assert event.payload["fast_track_proposed"] is True
    assert "reassign_window" in _running(case)
    # The proposal changes no clock until the curator decides.
    answer = Deadline.objects.running().get(case=case, stage="answer")
    assert answer.policy.code == "incident.answer"


def test_an_appeal_is_assigned_only_after_its_registration_59fz_st8(world, make_case, category):
    """59-ФЗ ст. 8 ч. 2: registration is an explicit step; assigning before it is a 409."""
    from mcu.exceptions import StateConflict

    case = make_case("appeal")
    admin = world.users["administrator"]
    with pytest.raises(StateConflict):
        services.case_assign(case.pk, actor=admin, organisation=world.org, category=category)
    services.case_register_appeal(case.pk, actor=admin)
    assert "register" in _met(case)
    services.case_assign(case.pk, actor=admin, organisation=world.org, category=category)
    # Assigned here: the 7 days of forwarding no longer run.
    assert "forward" not in _running(case) and "answer" in _running(case)


def test_reassigning_before_acceptance_restarts_the_window(world, make_case, category):
    case = make_case()
    admin = world.users["administrator"]
    services.case_assign(case.pk, actor=admin, organisation=world.org, category=category)
    case = services.case_assign(case.pk, actor=admin, organisation=world.org2)
    assert case.organisation == world.org2
    assert _last_event(case).payload["previous_organization"] == world.org.pk
    assert Deadline.objects.running().filter(case=case, stage="reassign_window").count() == 1


def test_head_has_the_administrators_rights(world, make_case, category):
    case = make_case()
    case = services.case_assign(
        case.pk, actor=world.users["head"], organisation=world.org, category=category
    )
    assert case.status == CaseStatus.ASSIGNED


@pytest.mark.parametrize("reason", ["Спам", "Не относится к компетенции"])
def test_administrator_rejects_with_a_reason_and_every_clock_stops(world, make_case, reason):
    case = make_case()
    case = services.case_reject(case.pk, actor=world.users["administrator"], reason=reason)
    assert case.status == CaseStatus.REJECTED and case.closed_at is not None
    event = _last_event(case)
    assert (event.action, event.reason, event.to_status) == ("reject", reason, "rejected")
    assert _running(case) == set()


def test_rejecting_a_duplicate_links_the_original(world, make_case):
    original, dup = make_case(), make_case()
    services.case_reject(
        dup.pk, actor=world.users["administrator"], reason="Дубликат", duplicate_of=original
    )
    dup.refresh_from_db()
    assert dup.duplicate_of == original
    assert _last_event(dup).payload["duplicate_of"] == original.pk


def test_accepting_is_internal_and_meets_only_the_reassignment_window(world, make_case, drive):
    """Междуреченск 3.7: «первичный ответ должен быть дан с указанием исполнения сроков» —
    accepting tells the resident nothing, so the first reply still runs."""
    case = drive(make_case(), "assigned")
    case = services.case_accept(case.pk, actor=world.users["executor"])
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.assignee == world.users["executor"]
    assert _last_event(case).action == "accept"
    assert _met(case) == {"reassign_window"}
    assert {"first_reply", "answer"} <= _running(case)


def test_executor_requests_reassignment_within_the_window(world, make_case, drive):
    case = drive(make_case(), "assigned")
    case = services.case_request_reassignment(
        case.pk, actor=world.users["executor"], reason="Не наша компетенция: дорога областная"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW
    assert case.organisation is None and case.assignee is None
    event = _last_event(case)
    assert event.action == "request_reassignment"
    assert event.reason == "Не наша компетенция: дорога областная"
    assert event.payload["organization"] == world.org.pk
    assert "reassign_window" not in _running(case)
    # The answer clock keeps running: the resident still waits.
    assert "answer" in _running(case)


def test_reassignment_request_notifies_the_administrators(
    world, make_case, drive, django_capture_on_commit_callbacks
):
    case = drive(make_case(), "assigned")
    with django_capture_on_commit_callbacks(execute=True):
        services.case_request_reassignment(
            case.pk, actor=world.users["executor"], reason="Не наша компетенция"
        )
    admin = world.users["administrator"]
    assert admin.notifications.filter(event="case.reassignment_requested").count() == 1
    # An administrator of other kinds only is not told about an incident... but this one
    # coordinates incidents, so they are.
    assert world.users["admin_incidents"].notifications.count() == 1


def test_an_interim_answer_is_published_by_the_administrator_mezhdurechensk_3_8_3_10(
    world, make_case, drive
):
    """Междуреченск 3.10 and 3.8 («срок обозначен для публикации ответа»): the executor's
    interim answer meets nothing; its publication meets the first reply and the answer
    clock and starts the promise clock."""
    case = drive(make_case(), "in_progress")
    promised = future(72)
    case = services.case_give_interim_answer(
        case.pk, actor=world.users["executor"], text="Ремонт запланирован", promised_at=promised
    )
    assert case.status == CaseStatus.IN_PROGRESS
    event = _last_event(case)
    assert event.action == "interim_answer" and event.from_status == event.to_status
    answer = Answer.objects.get(case=case, kind="interim")
    assert answer.status == "submitted" and answer.promised_at == promised
    assert event.payload["answer"] == answer.pk
    assert {"first_reply", "answer"} <= _running(case)
    assert "promise" not in _running(case)
    case = services.case_publish_interim(case.pk, actor=world.users["administrator"])
    assert _last_event(case).action == "publish_interim"
    answer.refresh_from_db()
    assert answer.status == "published" and answer.published_at is not None
    assert {"first_reply", "answer"} <= _met(case)
    promise = Deadline.objects.running().get(case=case, stage="promise")
    assert promise.due_at == promised


def test_interim_answer_on_an_assigned_case_accepts_it(world, make_case, drive):
    case = drive(make_case(), "assigned")
    case = services.case_give_interim_answer(
        case.pk, actor=world.users["executor"], text="Выедем завтра", promised_at=future()
    )
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.assignee == world.users["executor"]


def test_interim_answer_schedules_a_reminder_to_check_the_promise(
    world, make_case, drive, django_capture_on_commit_callbacks
):
    case = drive(make_case(), "in_progress")
    promised = future(24)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_give_interim_answer(
            case.pk, actor=world.users["executor"], text="Сделаем", promised_at=promised
        )
        services.case_publish_interim(case.pk, actor=world.users["administrator"])
    reminder = world.users["administrator"].notifications.get(event="case.promise_check")
    # At the promised date, or at the next working moment after it (DESIGN §3).
    from cases.notify import working_moment

    assert reminder.send_after == (working_moment(case, promised) or promised)


def test_executor_submits_the_answer_with_photo_and_pdf(world, make_case, drive):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = drive(make_case(), "in_progress")
    files = [png("яма.png"), SimpleUploadedFile("акт.pdf", PDF, content_type="application/pdf")]
    case = services.case_submit_answer(
        case.pk, actor=world.users["executor"], text="Яма заделана", attachments=files
    )
    assert case.status == CaseStatus.ON_REVIEW
    answer = Answer.objects.get(case=case, kind="final")
    assert answer.status == "submitted" and answer.text == "Яма заделана"
    assert sorted(a.content_type for a in answer.attachments.all()) == [
        "application/pdf",
        "image/png",
    ]
    assert {a.original_name for a in answer.attachments.all()} == {"яма.png", "акт.pdf"}
    assert _last_event(case).payload == {"answer": answer.pk, "attachments": 2}


def test_administrator_approval_is_final_where_no_curator_approval_is_required(
    world, make_case, drive
):
    case = drive(make_case(), "on_review")
    case = services.case_approve(case.pk, actor=world.users["administrator"])
    assert case.status == CaseStatus.APPROVED
    assert Answer.objects.get(case=case, kind="final").status == "approved"


def test_curator_approves_where_the_kind_requires_it(world, make_case, drive, require_approval):
    require_approval("incident")
    case = drive(make_case(), "on_review")
    case = services.case_approve(case.pk, actor=world.users["administrator"])
    assert case.status == CaseStatus.ON_APPROVAL
    assert _last_event(case).payload == {"stage": "review"}
    case = services.case_approve(case.pk, actor=world.users["curator"])
    assert case.status == CaseStatus.APPROVED
    assert _last_event(case).payload == {"stage": "approval"}


def test_approval_requirement_is_per_municipality_and_kind(
    world, make_case, drive, require_approval
):
    require_approval("pos")
    case = drive(make_case("incident"), "on_review")
    case = services.case_approve(case.pk, actor=world.users["administrator"])
    assert case.status == CaseStatus.APPROVED


@pytest.mark.parametrize(
    ("status", "actor"),
    [
        ("on_review", "administrator"),
        ("on_approval", "curator"),
        ("approved", "administrator"),
    ],
)
def test_answer_is_returned_with_a_reason(world, make_case, drive, require_approval, status, actor):
    require_approval("incident")
    case = drive(make_case(), status)
    case = services.case_return(case.pk, actor=world.users[actor], reason="Нет фото после ремонта")
    assert case.status == CaseStatus.IN_PROGRESS
    event = _last_event(case)
    assert (event.action, event.reason, event.from_status) == (
        "return",
        "Нет фото после ремонта",
        status,
    )
    answer = Answer.objects.get(case=case, kind="final")
    assert answer.status == "returned" and answer.return_reason == "Нет фото после ремонта"


def test_publication_meets_answer_and_promise_and_starts_the_reaction_wait(world, make_case, drive):
    case = drive(make_case(), "in_progress")
    services.case_give_interim_answer(
        case.pk, actor=world.users["executor"], text="Скоро", promised_at=future()
    )
    services.case_publish_interim(case.pk, actor=world.users["administrator"])
    services.case_submit_answer(
        case.pk, actor=world.users["executor"], text="Готово", attachments=[png()]
    )
    services.case_approve(case.pk, actor=world.users["administrator"])
    case = services.case_publish(case.pk, actor=world.users["administrator"])
    assert case.status == CaseStatus.PUBLISHED and case.published_at is not None
    assert {"answer", "promise"} <= _met(case)
    reaction = Deadline.objects.running().get(case=case, stage="reaction")
    assert reaction.due_at - reaction.started_at == dt.timedelta(days=2)
    assert Answer.objects.get(case=case, kind="final").status == "published"


def test_good_rating_closes_the_case(world, make_case, drive):
    case = drive(make_case(), "published")
    case = services.case_record_feedback(
        case.pk, actor=world.users["administrator"], rating=5, comment="Спасибо!"
    )
    assert case.status == CaseStatus.CLOSED and case.satisfaction == 5
    event = _last_event(case)
    assert (event.action, event.to_status) == ("feedback", "closed")
    assert Feedback.objects.get(case=case).reopened is False
    assert "reaction" in _met(case) and _running(case) == set()


@pytest.mark.parametrize("rating", [1, 2])
def test_low_rating_reopens_the_case_as_a_repeat(world, make_case, drive, rating):
    case = drive(make_case(), "published")
    case = services.case_record_feedback(
        case.pk, actor=world.users["integration"], rating=rating, comment="Ничего не сделано"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.repeat_count == 1 and case.satisfaction == rating
    feedback = Feedback.objects.get(case=case)
    event = _last_event(case)
    assert event.action == "reopen" and event.reason == "Ничего не сделано"
    assert event.payload["feedback"] == feedback.pk and event.payload["repeat"] == 1
    assert event.payload["answer"] == feedback.answer_id is not None
    assert "answer" in _running(case)
    assert case.repeats is None  # kept for new cases that repeat an old one


def test_threshold_is_a_setting(world, make_case, drive, settings):
    settings.LOW_SATISFACTION_THRESHOLD = 3
    case = drive(make_case(), "published")
    case = services.case_record_feedback(case.pk, actor=world.users["administrator"], rating=3)
    assert case.status == CaseStatus.IN_PROGRESS


def test_a_resident_comment_without_rating_reopens(world, make_case, drive):
    case = drive(make_case(), "published")
    case = services.case_record_feedback(
        case.pk, actor=world.users["administrator"], comment="Яма осталась"
    )
    assert case.status == CaseStatus.IN_PROGRESS


def test_a_thank_you_comment_can_close(world, make_case, drive):
    case = drive(make_case(), "published")
    case = services.case_record_feedback(
        case.pk, actor=world.users["administrator"], comment="Спасибо, всё сделали", reopen=False
    )
    assert case.status == CaseStatus.CLOSED


def test_reopened_case_can_be_answered_and_published_again(world, make_case, drive):
    case = drive(make_case(), "published")
    services.case_record_feedback(case.pk, actor=world.users["administrator"], rating=1)
    services.case_submit_answer(
        case.pk, actor=world.users["executor"], text="Переделали", attachments=[png()]
    )
    services.case_approve(case.pk, actor=world.users["administrator"])
    case = services.case_publish(case.pk, actor=world.users["administrator"])
    assert case.status == CaseStatus.PUBLISHED
    assert Answer.objects.filter(case=case, status="published").count() == 2


@pytest.mark.parametrize("actor", ["curator", "head"])
def test_fast_track_is_marked_and_unmarked_and_the_clocks_recomputed(
    world, make_case, drive, actor
):
    case = drive(make_case(), "in_progress")
    before = Deadline.objects.running().get(case=case, stage="answer")
    case = services.case_set_fast_track(case.pk, actor=world.users[actor], value=True)
    assert case.fast_track is True
    event = _last_event(case)
    assert (event.action, event.payload) == (
        "set_fast_track",
        {"value": True, "proposal_declined": False},
    )
    assert event.from_status == event.to_status == "in_progress"
    during = Deadline.objects.running().get(case=case, stage="answer")
    assert during.policy.code == "incident.fast_track"
    # Междуреченск 3.8: 4 hours from the curator's mark, not from the receipt.
    assert during.due_at == case.fast_track_at + dt.timedelta(hours=4)
    case = services.case_set_fast_track(case.pk, actor=world.users[actor], value=False)
    after = Deadline.objects.running().get(case=case, stage="answer")
    assert after.policy.code == "incident.answer" and after.due_at == before.due_at


def test_auto_close_after_two_days_of_silence(world, make_case, drive):
    from cases.tasks import close_unreacted

    case = drive(make_case(), "published")
    other = drive(make_case(), "published")
    Deadline.objects.filter(case=case, stage="reaction").update(
        due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert close_unreacted() == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    event = _last_event(case)
    assert (event.action, event.actor, event.payload) == ("close", None, {"reason": "no_reaction"})
    assert "reaction" in _met(case)
    other.refresh_from_db()
    assert other.status == CaseStatus.PUBLISHED
    assert close_unreacted() == 0  # running twice closes nothing twice


def test_auto_close_works_in_bounded_batches(world, make_case, drive):
    from cases.tasks import close_unreacted

    cases = [drive(make_case(), "published") for _ in range(3)]
    Deadline.objects.filter(stage="reaction").update(
        due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    # A full batch re-enqueues itself (eager in tests) until nothing is left.
    close_unreacted(batch_size=2)
    for case in cases:
        case.refresh_from_db()
        assert case.status == CaseStatus.CLOSED
    assert CaseEvent.objects.filter(action="close").count() == 3


def test_every_transition_writes_exactly_one_event(world, make_case, drive, require_approval):
    require_approval("incident")
    case = drive(make_case(), "on_review")
    # registration, then assign, accept, submit: one event each
    assert CaseEvent.objects.filter(case=case).count() == 4
    services.case_approve(case.pk, actor=world.users["administrator"])
    services.case_approve(case.pk, actor=world.users["curator"])
    services.case_publish(case.pk, actor=world.users["administrator"])
    services.case_record_feedback(case.pk, actor=world.users["administrator"], rating=1)
    assert [e.action for e in _events(case)] == [
        "register",
        "assign",
        "accept",
        "submit_answer",
        "approve",
        "approve",
        "publish",
        "reopen",
    ]


def test_assign_needs_a_category_when_the_case_has_none(world, make_case):
    case = make_case()
    with pytest.raises(InvalidInput) as exc:
        services.case_assign(case.pk, actor=world.users["administrator"], organisation=world.org)
    assert exc.value.field == "category"
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_assign_keeps_the_category_the_case_already_has(world, make_case):
    case = make_case(category=CategoryFactory(code="x"))
    case = services.case_assign(case.pk, actor=world.users["administrator"], organisation=world.org)
    assert case.category.code == "x"


def test_accepting_closes_the_reassignment_window(world, make_case, drive):
    case = drive(make_case(), "in_progress")
    assert "reassign_window" in _met(case)


def test_an_interim_answer_closes_the_reassignment_window(world, make_case, drive):
    case = drive(make_case(), "assigned")
    services.case_give_interim_answer(
        case.pk, actor=world.users["executor"], text="Выедем", promised_at=future()
    )
    assert "reassign_window" in _met(case)


# Received "now" on 20 December 2026, whatever today is.
@time_machine.travel(dt.datetime(2026, 12, 20, 3, tzinfo=dt.UTC), tick=False)
def test_a_case_is_registered_even_when_a_term_needs_a_missing_calendar_year(world):
    """A December appeal whose 30 days run into a year without data: the case is kept,
    the clock is not started and the heads are told to load the calendar (once)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from cases.services import case_register
    from deadlines.models import CalendarDay, Deadline
    from deadlines.services import calendar_changed
    from mcu.models import Notification

    CalendarDay.objects.filter(year=2027).delete()
    calendar_changed()
    received = dt.datetime(2026, 12, 20, 10, tzinfo=ZoneInfo("Asia/Novokuznetsk"))
    for n in range(2):
        case = case_register(
            municipality=world.mun,
            kind="appeal",
            channel="letter",
            text=f"Обращение {n}",
            received_at=received,
        )
        # 3 days end in 2026; the 30 days from the registration would need 2027.
        services.case_register_appeal(case.pk, actor=world.users["administrator"], at=received)
        stages = set(Deadline.objects.filter(case=case).values_list("stage", flat=True))
        assert stages == {"register", "forward"}
    alerts = Notification.objects.filter(event="calendar.missing")
    assert [a.recipient for a in alerts] == [world.users["head"]]
    assert "2027" in alerts[0].title
