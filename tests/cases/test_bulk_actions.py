"""The list's bulk bar beyond assignment (issue 11, «The list»): reject the ticked cases as
spam or as duplicates, and set their category. Each case goes through the card's own
service (``case_reject``, ``case_set_category``) in its own transaction: the role, the
state, the audit event and the clocks are those of one case, and one refusal undoes no
other. Refusals name the case by its number, never its id."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages

from cases import services
from cases.forms import REJECT_REASONS
from cases.models import Case, CaseEvent
from deadlines.models import Deadline, DeadlineRule
from mcu.exceptions import NotAllowed, NotFound, StateConflict
from tests.factories import CategoryFactory

NSK = ZoneInfo("Asia/Novokuznetsk")
TUESDAY_10 = dt.datetime(2026, 5, 19, 10, 0, tzinfo=NSK)
SPAM = str(dict(REJECT_REASONS)["spam"])


@pytest.fixture
def admin(client, world):
    client.force_login(world.users["administrator"])
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _status(*cases) -> list[str]:
    return [Case.objects.get(pk=c.pk).status for c in cases]


def _clock(case, stage) -> Deadline:
    return Deadline.objects.filter(case=case, stage=stage).order_by("-pk").first()


# -- Reject as spam / as duplicate -------------------------------------------------------


def test_reject_as_spam_takes_each_case_through_the_cards_service(admin, world, make_case):
    cases = [make_case(text=f"Купите слона {n}") for n in range(3)]
    untouched = make_case()
    response = admin.post(
        "/cases/bulk-reject/",
        {"ids": [c.pk for c in cases], "reason_kind": "spam", "next": "/cases/?status=new"},
    )
    assert response.status_code == 302 and response["Location"] == "/cases/?status=new"
    assert _messages(response) == ["Отклонено как спам: 3"]
    assert _status(*cases, untouched) == ["rejected"] * 3 + ["new"]
    for case in cases:
        # The one event of the step, as the card's «Отклонить» with «Спам» writes it.
        event = CaseEvent.objects.get(case=case, action="reject")
        assert (event.actor, event.from_status, event.to_status, event.reason) == (
            world.users["administrator"],
            "new",
            "rejected",
            SPAM,
        )
        # The clocks stop with the case.
        assert not Deadline.objects.filter(
            case=case, met_at__isnull=True, cancelled_at__isnull=True
        ).exists()
        assert Case.objects.get(pk=case.pk).closed_at is not None
    assert not CaseEvent.objects.filter(case=untouched, action="reject").exists()


def test_refusals_are_per_case_and_named_by_the_registration_number(admin, world, make_case):
    first, last = make_case(), make_case()
    done = services.case_reject(make_case().pk, actor=world.users["administrator"], reason="x")
    elsewhere = make_case(mun=world.mun_other)  # not in the administrator's scope
    response = admin.post(
        "/cases/bulk-reject/",
        {"ids": [first.pk, done.pk, elsewhere.pk, last.pk], "reason_kind": "spam"},
    )
    lines = _messages(response)
    assert lines[0] == "Отклонено как спам: 2"
    assert _status(first, last) == ["rejected", "rejected"]
    assert lines[1:] == [
        f"Не отклонено {done.registration_number}: "
        "Действие недоступно: сообщение в статусе «Отклонено».",
        "Не отклонено (сообщение не найдено)",
    ]
    # Never the internal id; nothing of the case outside the scope.
    assert not any(f"#{done.pk}" in line or elsewhere.registration_number in line for line in lines)
    assert Case.objects.get(pk=elsewhere.pk).status == "new"
    assert CaseEvent.objects.filter(case=done, action="reject").count() == 1


def test_a_lost_race_undoes_only_its_own_case(admin, world, make_case, monkeypatch):
    """Someone else was first on one case after its row was written: that case's status
    and event are rolled back with its own transaction, the others stay rejected."""
    a, b, c = make_case(), make_case(), make_case()
    cancel = services.clocks.cancel

    def racing_cancel(case, *args, **kwargs):
        if case.pk == b.pk:
            raise StateConflict()
        return cancel(case, *args, **kwargs)

    monkeypatch.setattr(services.clocks, "cancel", racing_cancel)
    response = admin.post("/cases/bulk-reject/", {"ids": [a.pk, b.pk, c.pk], "reason_kind": "spam"})
    lines = _messages(response)
    assert lines[0] == "Отклонено как спам: 2"
    assert lines[1].startswith(f"Не отклонено {b.registration_number}: ")
    assert _status(a, b, c) == ["rejected", "new", "rejected"]
    assert not CaseEvent.objects.filter(case=b, action="reject").exists()
    assert Case.objects.get(pk=b.pk).version == b.version


def test_reject_as_duplicate_names_the_original(admin, world, make_case):
    original = make_case(text="Яма у дома 5")
    copies = [make_case(text="Яма у дома 5!"), make_case(text="яма у дома 5")]
    response = admin.post(
        "/cases/bulk-reject/",
        {
            "ids": [c.pk for c in copies],
            "reason_kind": "duplicate",
            "duplicate_of": f"№ {original.registration_number}",
        },
    )
    assert _messages(response) == [f"Отклонено как дубликат № {original.registration_number}: 2"]
    for case in copies:
        case = Case.objects.get(pk=case.pk)
        assert (case.status, case.duplicate_of_id) == ("rejected", original.pk)
        event = CaseEvent.objects.get(case=case, action="reject")
        assert event.reason == f"Дубликат сообщения № {original.registration_number}"
        assert event.payload == {"duplicate_of": original.pk}
    assert Case.objects.get(pk=original.pk).status == "new"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("", "Номер исходного сообщения: Укажите номер исходного сообщения."),
        ("МЖ-26-999999", "Номер исходного сообщения: Сообщение № МЖ-26-999999 не найдено."),
        ("self", "не может быть своим дубликатом"),
        ("elsewhere", "не найдено"),
    ],
)
def test_bad_duplicate_input_is_said_and_changes_nothing(admin, world, make_case, number, expected):
    a, b = make_case(), make_case()
    if number == "self":
        number = b.registration_number
    elif number == "elsewhere":
        number = make_case(mun=world.mun_other).registration_number
    events = CaseEvent.objects.count()
    response = admin.post(
        "/cases/bulk-reject/",
        {"ids": [a.pk, b.pk], "reason_kind": "duplicate", "duplicate_of": number},
    )
    assert response.status_code == 302
    lines = _messages(response)
    assert len(lines) == 1 and expected in lines[0], lines
    assert _status(a, b) == ["new", "new"]
    assert CaseEvent.objects.count() == events


def test_nothing_ticked_or_no_ground_is_said(admin, make_case):
    case = make_case()
    assert _messages(admin.post("/cases/bulk-reject/", {"reason_kind": "spam"})) == [
        "Отметьте в списке хотя бы одно сообщение."
    ]
    admin.get("/cases/")  # the list shows the message, and it is gone
    assert _messages(admin.post("/cases/bulk-reject/", {"ids": [case.pk]})) == [
        "Основание: Выберите основание."
    ]
    assert _status(case) == ["new"]


# -- Set category ------------------------------------------------------------------------


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY_10, tick=False):
        yield


def test_set_category_reselects_the_clocks_as_moderation_does(admin, world, make_case, tuesday):
    """Mirrors test_regulations' «a category set at moderation reselects the ПОС priority
    term» (Лабытнанги 3.4.2 в): the same category, set from the list for two cases."""
    priority = CategoryFactory(code="pos-heating", name="Отопление")
    rule = DeadlineRule.objects.get(policy__code="pos.priority_answer")
    rule.categories.add(priority)
    DeadlineRule.objects.filter(pk=rule.pk).update(is_active=True)
    cases = [make_case("pos"), make_case("pos")]
    before = _clock(cases[0], "answer")
    assert before.policy.code == "pos.answer"
    response = admin.post(
        "/cases/bulk-category/", {"ids": [c.pk for c in cases], "category": priority.pk}
    )
    assert _messages(response) == ["Категория изменена: 2"]
    for case in cases:
        case = Case.objects.get(pk=case.pk)
        assert (case.category, case.status, case.organisation) == (priority, "new", None)
        answer = _clock(case, "answer")
        assert answer.policy.code == "pos.priority_answer"
        assert answer.due_at == dt.datetime(2026, 5, 26, 17, 0, tzinfo=NSK)
        assert answer.due_at != before.due_at
        event = CaseEvent.objects.get(case=case, action="edit")
        assert event.actor == world.users["administrator"]
        assert (event.from_status, event.to_status) == ("new", "new")
        assert event.payload["fields"] == ["category"]
        assert event.payload["category"] == priority.pk
        assert event.payload["previous_category"] is None
    # The card's timeline says what changed.
    html = admin.get(f"/cases/{cases[0].pk}/").content.decode()
    assert "Изменение карточки" in html and "Категория: Отопление" in html


def test_set_category_keeps_the_executor_and_refuses_per_case(
    admin, world, make_case, drive, category
):
    other = CategoryFactory(code="lights", name="Освещение")
    assigned = drive(make_case(), "assigned")
    in_work = drive(make_case(), "in_progress")
    same = make_case(category=other)
    response = admin.post(
        "/cases/bulk-category/",
        {"ids": [assigned.pk, in_work.pk, same.pk], "category": other.pk},
    )
    lines = _messages(response)
    assert lines[0] == "Категория изменена: 1"
    assert lines[1:] == [
        f"Категория не изменена {in_work.registration_number}: "
        "Действие недоступно: сообщение в статусе «В работе».",
        f"Категория не изменена {same.registration_number}: Категория уже такая.",
    ]
    assigned = Case.objects.get(pk=assigned.pk)
    assert (assigned.category, assigned.status, assigned.organisation) == (
        other,
        "assigned",
        world.org,
    )
    assert Case.objects.get(pk=in_work.pk).category == category
    assert not CaseEvent.objects.filter(case__in=[in_work, same], action="edit").exists()


def test_no_category_is_a_form_error_and_changes_nothing(admin, make_case):
    case = make_case()
    events = CaseEvent.objects.count()
    for data in ({"ids": [case.pk]}, {"ids": [case.pk], "category": 10**9}):
        lines = _messages(admin.post("/cases/bulk-category/", data))
        admin.get("/cases/")  # shown, and gone
        assert len(lines) == 1 and lines[0].startswith("Категория: Выберите категорию"), lines
    assert CaseEvent.objects.count() == events
    assert Case.objects.get(pk=case.pk).category_id is None


def test_the_service_checks_the_role_and_the_state(world, make_case, drive, category):
    case = make_case()
    # The executor does not even see a case of no organisation (404 before the role).
    with pytest.raises(NotFound):
        services.case_set_category(case.pk, actor=world.users["executor"], category=category)
    with pytest.raises(NotAllowed):
        services.case_set_category(case.pk, actor=world.users["curator"], category=category)
    done = drive(make_case(), "in_progress")
    with pytest.raises(StateConflict):
        services.case_set_category(done.pk, actor=world.users["head"], category=category)
    services.case_set_category(case.pk, actor=world.users["head"], category=category)
    assert Case.objects.get(pk=case.pk).category == category


# -- Who sees the bar, and a GET ---------------------------------------------------------


@pytest.mark.parametrize("persona", ["curator", "executor", "observer"])
@pytest.mark.parametrize("url", ["/cases/bulk-reject/", "/cases/bulk-category/"])
def test_roles_without_the_right_get_403(client, world, make_case, category, persona, url):
    case = make_case()
    client.force_login(world.users[persona])
    data = {"ids": [case.pk], "reason_kind": "spam", "category": category.pk}
    assert client.post(url, data).status_code == 403
    assert _status(case) == ["new"]
    assert not CaseEvent.objects.filter(case=case).exclude(action="register").exists()


def test_the_bar_offers_each_action_only_to_roles_of_the_table(client, world, make_case):
    make_case()
    client.force_login(world.users["head"])
    html = client.get("/cases/").content.decode()
    for url in ("/cases/bulk-assign/", "/cases/bulk-reject/", "/cases/bulk-category/"):
        assert f'formaction="{url}"' in html
    assert "Отклонить как спам" in html and "Изменить категорию" in html
    for persona in ("curator", "executor", "observer"):
        client.force_login(world.users[persona])
        html = client.get("/cases/").content.decode()
        assert "bulk-reject" not in html and "bulk-category" not in html
        assert "data-bulk" not in html


@pytest.mark.parametrize(
    "url", ["/cases/bulk-assign/", "/cases/bulk-reject/", "/cases/bulk-category/"]
)
def test_a_get_on_a_bulk_address_goes_back_to_the_list(admin, url):
    response = admin.get(url)
    assert response.status_code == 302 and response["Location"] == "/cases/"


def test_the_messages_are_translated(admin, make_case, settings):
    from django.conf import settings as django_settings

    admin.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    case = make_case()
    response = admin.post("/cases/bulk-reject/", {"ids": [case.pk], "reason_kind": "spam"})
    assert _messages(response) == ["Rejected as spam: 1"]


def test_a_case_ticked_twice_is_taken_once_and_a_bulk_has_a_ceiling(admin, make_case):
    from cases.forms import BULK_MAX

    case = make_case()
    response = admin.post("/cases/bulk-reject/", {"ids": [case.pk, case.pk], "reason_kind": "spam"})
    assert _messages(response) == ["Отклонено как спам: 1"]
    admin.get("/cases/")
    response = admin.post(
        "/cases/bulk-reject/", {"ids": list(range(1, BULK_MAX + 2)), "reason_kind": "spam"}
    )
    assert _messages(response) == [f"Сообщения: Не больше {BULK_MAX} сообщений за раз."]
