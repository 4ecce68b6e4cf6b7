"""The workflow to the letter of the regulations (docs/regulations/): each test names the
clause it holds the desk to. The clock is frozen on an ordinary working Tuesday of
Междуреченск, so every term is the one a person would count on the calendar."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from cases import services
from cases.choices import CaseStatus
from cases.models import Answer, Case, CaseEvent, Feedback
from deadlines.models import Deadline, DeadlinePolicy, DeadlineRule
from deadlines.state import clock_state
from mcu.exceptions import InvalidInput, NotAllowed, StateConflict
from tests.factories import CategoryFactory

NSK = ZoneInfo("Asia/Novokuznetsk")
TUESDAY_10 = dt.datetime(2026, 5, 19, 10, 0, tzinfo=NSK)


def nsk(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NSK)


@pytest.fixture(autouse=True)
def _tuesday():
    with time_machine.travel(TUESDAY_10, tick=False):
        yield


def _clock(case, stage) -> Deadline:
    return Deadline.objects.filter(case=case, stage=stage).order_by("-pk").first()


def _overdue(case) -> bool:
    from deadlines.selectors import case_overdue_condition

    return Case.objects.filter(case_overdue_condition(), pk=case.pk).exists()


# -- Междуреченск 3.7, 3.8, 3.10: first reply, interim answers, promises -------------------


def test_first_reply_is_met_only_by_a_published_answer_mezhdurechensk_3_7(world, make_case, drive):
    """3.7: «первичный ответ должен быть дан с указанием исполнения сроков в течение часа»:
    accepting is internal; the final answer's publication meets the first reply."""
    case = drive(make_case(), "approved")
    assert _clock(case, "first_reply").met_at is None
    services.case_publish(case.pk, actor=world.users["administrator"])
    assert _clock(case, "first_reply").met_at == TUESDAY_10


def test_a_promise_must_be_in_the_future_and_within_the_policy_ceiling(world, make_case, drive):
    """3.10 with the policy's ceiling (30 calendar days by default, editable)."""
    case = drive(make_case(), "in_progress")
    executor = world.users["executor"]
    for promised in (TUESDAY_10 - dt.timedelta(minutes=1), TUESDAY_10 + dt.timedelta(days=31)):
        with pytest.raises(InvalidInput) as exc:
            services.case_give_interim_answer(
                case.pk, actor=executor, text="Сделаем", promised_at=promised
            )
        assert exc.value.field == "promised_at"
    DeadlinePolicy.objects.filter(code="case.promise").update(max_days=45)
    services.case_give_interim_answer(
        case.pk, actor=executor, text="Сделаем", promised_at=TUESDAY_10 + dt.timedelta(days=40)
    )
    assert Answer.objects.filter(case=case, kind="interim").count() == 1


def test_an_executor_alone_never_takes_a_case_out_of_overdue_mezhdurechensk_3_8(
    world, make_case, drive
):
    """3.8: «срок обозначен для публикации ответа, а не только подготовки текста»."""
    case = drive(make_case(), "in_progress")
    with time_machine.travel(nsk(2026, 5, 20, 10, 0), tick=False):
        assert _overdue(case)
        services.case_give_interim_answer(
            case.pk,
            actor=world.users["executor"],
            text="Выезд в четверг",
            promised_at=nsk(2026, 5, 21, 12, 0),
        )
        assert _overdue(case), "the executor's text alone must not clear the breach"
        services.case_publish_interim(case.pk, actor=world.users["administrator"])
        assert not _overdue(case)
        answer = _clock(case, "answer")
        assert answer.breached_at == answer.due_at  # met late, and the breach stays counted


def test_a_breached_promise_stays_breached_when_a_new_one_is_published(world, make_case, drive):
    """Междуреченск, прил. 1 §2 (контроль сроков, указанных в промежуточных ответах): a
    new promise is a new interim answer, reviewed again; the old breach is kept."""
    case = drive(make_case(), "in_progress")
    executor, admin = world.users["executor"], world.users["administrator"]
    services.case_give_interim_answer(
        case.pk, actor=executor, text="Завтра", promised_at=nsk(2026, 5, 20, 9, 0)
    )
    services.case_publish_interim(case.pk, actor=admin)
    first = _clock(case, "promise")
    with time_machine.travel(nsk(2026, 5, 20, 11, 0), tick=False):
        assert _overdue(case)
        services.case_give_interim_answer(
            case.pk, actor=executor, text="Подрядчик задержался", promised_at=nsk(2026, 5, 22, 9)
        )
        assert _overdue(case)  # still: the new date is not reviewed yet
        services.case_publish_interim(case.pk, actor=admin)
    first.refresh_from_db()
    assert first.breached_at == nsk(2026, 5, 20, 9, 0) and first.cancelled_at is not None
    assert clock_state(first) == "cancelled"
    second = _clock(case, "promise")
    assert second.pk != first.pk and second.breached_at is None
    assert Deadline.objects.filter(case=case, stage="promise", breached_at__isnull=False).count()


def test_an_interim_answer_can_be_returned_and_a_stale_promise_is_not_published(
    world, make_case, drive
):
    case = drive(make_case(), "in_progress")
    admin = world.users["administrator"]
    services.case_give_interim_answer(
        case.pk, actor=world.users["executor"], text="Скоро", promised_at=nsk(2026, 5, 19, 15)
    )
    with pytest.raises(StateConflict):
        services.case_give_interim_answer(
            case.pk, actor=world.users["executor"], text="Ещё", promised_at=nsk(2026, 5, 20, 15)
        )
    with time_machine.travel(nsk(2026, 5, 19, 16, 0), tick=False), pytest.raises(StateConflict):
        services.case_publish_interim(case.pk, actor=admin)
    services.case_return_interim(case.pk, actor=admin, reason="Укажите конкретную дату")
    answer = Answer.objects.get(case=case, kind="interim")
    assert (answer.status, answer.return_reason) == ("returned", "Укажите конкретную дату")
    assert _clock(case, "answer").met_at is None


# -- Междуреченск 3.8: fast-track is the curator's ------------------------------------------


def test_only_the_curator_or_head_sets_fast_track_mezhdurechensk_3_8(world, make_case, drive):
    """3.8: «Повышенная важность определяется куратором»."""
    case = drive(make_case(), "in_progress")
    for persona in ("administrator", "executor"):
        with pytest.raises(NotAllowed):
            services.case_set_fast_track(case.pk, actor=world.users[persona], value=True)


def test_a_proposal_changes_no_clock_until_the_curator_decides(world, make_case, category):
    case = make_case()
    answer_before = _clock(case, "answer").due_at
    services.case_assign(
        case.pk,
        actor=world.users["administrator"],
        organisation=world.org,
        category=category,
        propose_fast_track=True,
    )
    case.refresh_from_db()
    assert case.fast_track_proposed and not case.fast_track
    assert _clock(case, "answer").due_at == answer_before
    from cases.queues import queue_apply

    visible = Case.objects.visible_to(world.users["curator"])
    assert queue_apply(visible, "fast_track_proposals", world.users["curator"]).get() == case
    # The curator declines: one event, the proposal is gone, the clocks unchanged.
    services.case_set_fast_track(case.pk, actor=world.users["curator"], value=False)
    case.refresh_from_db()
    assert not case.fast_track_proposed and not case.fast_track
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.payload == {"value": False, "proposal_declined": True}
    assert _clock(case, "answer").due_at == answer_before


def test_fast_track_runs_four_calendar_hours_from_the_mark_and_every_clock_in_calendar_time(
    world, make_case, drive
):
    """3.8: «на вопросы с повышенной важностью (фаст трек) – 4 часа»; from the curator's
    mark, and the first reply and the reassignment window in calendar time too, so that
    no clock falls after the answer."""
    with time_machine.travel(nsk(2026, 5, 19, 15, 30), tick=False):
        case = drive(make_case(), "assigned")
    with time_machine.travel(nsk(2026, 5, 19, 16, 0), tick=False):
        services.case_set_fast_track(case.pk, actor=world.users["curator"], value=True)
    answer, first = _clock(case, "answer"), _clock(case, "first_reply")
    window = _clock(case, "reassign_window")
    assert answer.due_at == nsk(2026, 5, 19, 20, 0)
    assert first.policy.code == "incident.first_reply_fast"
    assert first.due_at == nsk(2026, 5, 19, 17, 0)
    assert window.policy.code == "executor.reassign_window_fast"
    assert max(first.due_at, window.due_at) <= answer.due_at


def test_clearing_fast_track_after_a_breach_puts_the_ordinary_term_back(world, make_case, drive):
    case = drive(make_case(), "in_progress")
    services.case_set_fast_track(case.pk, actor=world.users["curator"], value=True)
    with time_machine.travel(nsk(2026, 5, 19, 15, 0), tick=False):
        from deadlines.services import deadlines_sweep

        deadlines_sweep()
        assert _clock(case, "answer").breached_at == nsk(2026, 5, 19, 14, 0)
        services.case_set_fast_track(case.pk, actor=world.users["curator"], value=False)
        answer = _clock(case, "answer")
        assert answer.policy.code == "incident.answer"
        # 8 working hours from 10:00 Tuesday (7 on Tuesday, 1 on Wednesday from 08:00):
        # 09:00 Wednesday; no longer breached.
        assert answer.due_at == nsk(2026, 5, 20, 9, 0)
        assert answer.breached_at is None and clock_state(answer) == "running"


# -- Moderation re-selects the policies (Лабытнанги 3.4.2 в) ---------------------------------


def test_a_category_set_at_moderation_reselects_the_pos_priority_term_labytnangi_3_4_2(
    world, make_case
):
    """3.4.2 в): «по перечню категорий … — в течение 5 рабочих дней»; ПОС items arrive
    without a category, so only moderation can apply the rule."""
    priority = CategoryFactory(code="pos-heating", name="Отопление")
    rule = DeadlineRule.objects.get(policy__code="pos.priority_answer")
    rule.categories.add(priority)
    DeadlineRule.objects.filter(pk=rule.pk).update(is_active=True)
    case = make_case("pos")
    assert _clock(case, "answer").policy.code == "pos.answer"
    services.case_assign(
        case.pk, actor=world.users["administrator"], organisation=world.org, category=priority
    )
    answer = _clock(case, "answer")
    assert answer.policy.code == "pos.priority_answer"
    assert answer.due_at == nsk(2026, 5, 26, 17, 0)  # 5 working days after Tuesday


def test_moderation_may_correct_the_channel_and_the_clocks_follow(world, make_case, category):
    from deadlines.services import deadline_municipal_rules_load
    from tests.factories import MunicipalityFactory

    meshchovsk = MunicipalityFactory(slug="meshchovsk", timezone="Europe/Moscow")
    deadline_municipal_rules_load(municipality=meshchovsk)
    from tests.factories import OrganisationFactory, UserFactory

    org = OrganisationFactory(municipality=meshchovsk)
    admin = UserFactory(username="msk_admin", role="administrator", municipality=meshchovsk)
    case = make_case(mun=meshchovsk)
    services.case_assign(
        case.pk, actor=admin, organisation=org, category=category, channel="official_comment"
    )
    answer = _clock(case, "answer")
    # Мещовск, прил. 2: «в течение 90 минут» — calendar minutes.
    assert answer.policy.code == "incident.comment"
    assert answer.due_at == TUESDAY_10 + dt.timedelta(minutes=90)
    with pytest.raises(InvalidInput) as exc:
        services.case_assign(case.pk, actor=admin, organisation=org, kind="appeal")
    assert exc.value.field == "kind"


# -- 59-ФЗ appeals -------------------------------------------------------------------------


@pytest.fixture
def appeal(make_case):
    return make_case("appeal", received_at=nsk(2026, 5, 18, 11, 0))


def test_appeal_registration_starts_the_thirty_days_from_its_date_59fz_st8_st12(world, appeal):
    """59-ФЗ ст. 8 ч. 2 (регистрация в течение трёх дней), ст. 12 ч. 1 (30 дней со дня
    регистрации), ст. 8 ч. 3 (переадресация в течение семи дней со дня регистрации)."""
    admin = world.users["administrator"]
    with pytest.raises(InvalidInput):
        services.case_register_appeal(
            appeal.pk, actor=admin, registered_at=TUESDAY_10 + dt.timedelta(hours=1)
        )
    case = services.case_register_appeal(
        appeal.pk, actor=admin, registration_number="О-2026/15", registered_at=TUESDAY_10
    )
    assert case.registration_number == "О-2026/15" and case.registered_at == TUESDAY_10
    assert _clock(case, "register").met_at == TUESDAY_10
    assert _clock(case, "answer").due_at == nsk(2026, 6, 18, 17, 0)  # 30 days from 19 May
    assert _clock(case, "forward").due_at == nsk(2026, 5, 26, 17, 0)
    with pytest.raises(StateConflict):
        services.case_register_appeal(appeal.pk, actor=admin)


def test_a_forwarded_appeal_is_closed_here_with_the_applicants_notice_59fz_st8(world, appeal):
    admin = world.users["administrator"]
    with pytest.raises(StateConflict):
        services.case_forward(appeal.pk, actor=admin, to_body="Минтранс", notice="Письмо")
    services.case_register_appeal(appeal.pk, actor=admin)
    with pytest.raises(InvalidInput) as exc:
        services.case_forward(appeal.pk, actor=admin, to_body="Минтранс Кузбасса", notice="")
    assert exc.value.field == "notice"
    case = services.case_forward(
        appeal.pk,
        actor=admin,
        to_body="Министерство транспорта Кузбасса",
        notice="Уведомление № 12 отправлено заявителю почтой 19.05.2026",
    )
    assert case.status == CaseStatus.FORWARDED and case.closed_at == TUESDAY_10
    assert _clock(case, "forward").met_at == TUESDAY_10
    assert not Deadline.objects.running().filter(case=case).exists()
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.payload["notice"].startswith("Уведомление № 12")


def test_one_extension_of_up_to_thirty_days_by_the_head_59fz_st12(world, appeal, category):
    admin, head = world.users["administrator"], world.users["head"]
    services.case_register_appeal(appeal.pk, actor=admin)
    services.case_assign(appeal.pk, actor=admin, organisation=world.org, category=category)
    due = _clock(appeal, "answer").due_at
    with pytest.raises(NotAllowed):
        services.case_extend(appeal.pk, actor=admin, days=10, reason="Запрос", notice="Письмо")
    with pytest.raises(InvalidInput) as exc:
        services.case_extend(appeal.pk, actor=head, days=31, reason="Запрос", notice="Письмо")
    assert exc.value.field == "days"
    services.case_extend(
        appeal.pk,
        actor=head,
        days=30,
        reason="Направлен запрос в Росреестр",
        notice="Заявитель уведомлён письмом 19.05.2026",
    )
    extended = _clock(appeal, "answer")
    assert extended.extension_days == 30 and extended.due_at > due
    assert extended.due_at == nsk(2026, 7, 20, 17, 0)  # 18 July is a Saturday
    with pytest.raises(StateConflict):
        services.case_extend(appeal.pk, actor=head, days=5, reason="Ещё", notice="Письмо")
    # A later recompute keeps the extension.
    from deadlines.services import deadlines_recompute_all

    deadlines_recompute_all()
    assert _clock(appeal, "answer").due_at == nsk(2026, 7, 20, 17, 0)


def test_an_answered_appeal_closes_without_a_reaction_wait_or_reopening(world, appeal, category):
    """59-ФЗ has no resident-reaction wait: the answer closes the appeal; a repeated
    appeal is a new appeal."""
    u = world.users
    services.case_register_appeal(appeal.pk, actor=u["administrator"])
    services.case_assign(
        appeal.pk, actor=u["administrator"], organisation=world.org, category=category
    )
    services.case_accept(appeal.pk, actor=u["executor"])
    services.case_submit_answer(appeal.pk, actor=u["executor"], text="Ответ по существу")
    services.case_approve(appeal.pk, actor=u["administrator"])
    case = services.case_publish(appeal.pk, actor=u["administrator"])
    assert case.status == CaseStatus.CLOSED and case.closed_at == TUESDAY_10
    assert not Deadline.objects.filter(case=case, stage="reaction").exists()
    assert "feedback" not in services.case_allowed_actions(u["administrator"], case)
    with pytest.raises(StateConflict):
        services.case_record_feedback(appeal.pk, actor=u["administrator"], rating=1)


# -- Междуреченск 3.6: the resident's two days ----------------------------------------------


def test_feedback_after_the_two_days_is_recorded_and_reopens_nothing_mezhdurechensk_3_6(
    world, make_case, drive
):
    """3.6: «если житель в течении двух дней не напишет комментарий, то ответ будет
    считаться готовым»."""
    case = drive(make_case(), "published")
    with time_machine.travel(TUESDAY_10 + dt.timedelta(days=2, minutes=5), tick=False):
        case = services.case_record_feedback(
            case.pk, actor=world.users["administrator"], rating=1, comment="Ничего не сделали"
        )
        assert case.status == CaseStatus.CLOSED and case.repeat_count == 0
        feedback = Feedback.objects.get(case=case)
        assert feedback.after_window and not feedback.reopened
        # And on an already closed case, the same.
        services.case_record_feedback(case.pk, actor=world.users["administrator"], comment="Ау")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert Feedback.objects.filter(case=case, after_window=True).count() == 2


# -- Notices: written with the change, delivered after it ------------------------------------


def test_notices_are_written_in_the_transaction_of_the_change(world, make_case, drive):
    from mcu.models import Notification

    case = drive(make_case(), "assigned")
    with pytest.raises(RuntimeError), __import__("django").db.transaction.atomic():
        services.case_request_reassignment(
            case.pk, actor=world.users["executor"], reason="Не наша компетенция"
        )
        assert Notification.objects.filter(event="case.reassignment_requested").exists()
        raise RuntimeError("the request fails after the step")
    assert not Notification.objects.filter(event="case.reassignment_requested").exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED


def test_a_broker_that_is_down_does_not_fail_a_committed_step(
    world, make_case, drive, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from mcu import tasks
    from mcu.models import Notification

    def broker_down(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setattr(tasks.deliver_notifications, "delay", broker_down)
    case = drive(make_case(), "assigned")
    with django_capture_on_commit_callbacks(execute=True):
        services.case_request_reassignment(
            case.pk, actor=world.users["executor"], reason="Не наша компетенция"
        )
    row = Notification.objects.get(
        event="case.reassignment_requested", recipient=world.users["administrator"]
    )
    assert row.email_status == Notification.Status.PENDING  # beat delivers it later


# -- One clock state everywhere --------------------------------------------------------------


def test_a_past_due_clock_not_yet_swept_is_breached_in_the_api_and_on_the_badge(
    world, make_case, client
):
    from deadlines.templatetags.deadline_tags import clock_view

    case = make_case()
    with time_machine.travel(nsk(2026, 5, 20, 11, 0), tick=False):
        client.force_login(world.users["administrator"])
        body = client.get(f"/api/v1/cases/{case.pk}/").json()
        states = {c["stage"]: c["state"] for c in body["clocks"]}
        assert states == {"first_reply": "breached", "answer": "breached"}
        assert _clock(case, "answer").breached_at is None  # the sweep has not run
        badge = clock_view(_clock(case, "answer"), case)
        assert badge.state == "breached" and "просрочено" in badge.text


def test_clock_state_at_risk_and_paused(world):
    from types import SimpleNamespace

    from deadlines.calendars import calendar_for

    clock = SimpleNamespace(
        met_at=None,
        cancelled_at=None,
        breached_at=None,
        due_at=nsk(2026, 5, 20, 10, 0),
        warn_at=nsk(2026, 5, 20, 8, 0),
        policy=SimpleNamespace(is_working_time=True),
    )
    calendar = calendar_for(world.mun)
    assert clock_state(clock, now=TUESDAY_10, calendar=calendar) == "running"
    assert clock_state(clock, now=nsk(2026, 5, 20, 9, 0), calendar=calendar) == "at_risk"
    # Out of working hours a working-time clock waits for the morning.
    assert clock_state(clock, now=nsk(2026, 5, 19, 20, 0), calendar=calendar) == "paused"
    assert clock_state(clock, now=nsk(2026, 5, 19, 20, 0)) == "running"  # no calendar given


# -- A lost race on the card says so -----------------------------------------------------------


def test_a_case_taken_away_meanwhile_is_a_conflict_on_the_card_not_a_success(
    world, make_case, drive, client, monkeypatch
):
    case = drive(make_case(), "assigned")
    executor = world.users["executor"]
    client.force_login(executor)
    real_lock = services._lock

    def reassigned_meanwhile(case_id, actor):
        # Between the card's read and the service's lock, the administrator moved the
        # case to another organisation: the service answers 404 for this executor.
        Case.objects.filter(pk=case_id).update(organisation=world.org2)
        return real_lock(case_id, actor)

    monkeypatch.setattr(services, "_lock", reassigned_meanwhile)
    response = client.post(f"/cases/{case.pk}/do/accept/", {"version": case.version}, follow=True)
    text = response.content.decode()
    assert "уже изменил другой пользователь" in text
    assert "принято в работу" not in text.lower()
    assert not CaseEvent.objects.filter(case=case, action="accept").exists()


def test_time_is_passed_in_not_read_from_the_clock(world, make_case, category):
    """One instant per step: the event, the answer and the case share ``at``."""
    at = timezone.now() - dt.timedelta(hours=3)
    case = make_case(received_at=at - dt.timedelta(hours=1))
    services.case_assign(
        case.pk,
        actor=world.users["administrator"],
        organisation=world.org,
        category=category,
        at=at,
    )
    services.case_accept(case.pk, actor=world.users["executor"], at=at + dt.timedelta(minutes=5))
    services.case_submit_answer(
        case.pk, actor=world.users["executor"], text="Готово", at=at + dt.timedelta(hours=1)
    )
    answer = Answer.objects.get(case=case)
    event = CaseEvent.objects.filter(case=case, action="submit_answer").get()
    case.refresh_from_db()
    assert answer.created_at == event.at == case.updated_at == at + dt.timedelta(hours=1)
