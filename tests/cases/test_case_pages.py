"""The case screens: queues with counts, the list (filters, search, sorting by deadline,
bulk assignment), the card with only the allowed actions, htmx posts, a conflict that keeps
the typed text, answer templates."""

import datetime as dt

import pytest

from cases.models import AnswerTemplate, CaseEvent
from deadlines.services import cases_next_due_refresh
from tests.cases.conftest import future, png
from tests.factories import CaseFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def as_(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def _forms(html: str) -> set[str]:
    import re

    return set(re.findall(r'data-action="([a-z_]+)"', html))


@pytest.mark.parametrize(
    ("persona", "status", "expected"),
    [
        ("administrator", "new", {"assign", "reject"}),
        ("executor", "assigned", {"accept", "request_reassignment", "interim_answer"}),
        ("executor", "in_progress", {"interim_answer", "submit_answer"}),
        ("administrator", "on_review", {"approve", "return"}),
        ("curator", "on_review", {"set_fast_track"}),
        ("observer", "on_review", set()),
        ("administrator", "published", {"feedback"}),
    ],
)
def test_the_card_shows_only_the_allowed_actions(
    as_, world, make_case, drive, persona, status, expected
):
    case = make_case()
    if status != "new":
        case = drive(case, status)
    html = as_(world.users[persona]).get(f"/cases/{case.pk}/").content.decode()
    assert _forms(html) == expected
    assert 'data-testid="case-status"' in html


def test_the_card_shows_the_post_link_clocks_and_timeline(as_, world, make_case, drive):
    case = drive(make_case(source_url="https://vk.com/wall-1_2"), "assigned")
    html = as_(world.users["administrator"]).get(f"/cases/{case.pk}/").content.decode()
    assert "https://vk.com/wall-1_2" in html
    assert "Первичный ответ" in html and "Окно переназначения" in html
    assert "Назначение исполнителя" in html  # the timeline


def test_an_action_posted_with_htmx_rerenders_the_card(as_, world, make_case, drive):
    case = drive(make_case(), "assigned")
    client = as_(world.users["executor"])
    response = client.post(f"/cases/{case.pk}/do/accept/", {"version": case.version}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="case-card"')
    assert "В работе" in html and "submit_answer" in html


def test_an_action_without_javascript_redirects_to_the_card(as_, world, make_case, drive):
    case = drive(make_case(), "assigned")
    response = as_(world.users["executor"]).post(f"/cases/{case.pk}/do/accept/")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"


def test_a_missing_reason_shows_the_field_error_in_russian(as_, world, make_case, drive):
    case = drive(make_case(), "on_review")
    response = as_(world.users["administrator"]).post(
        f"/cases/{case.pk}/do/return/", {"reason": "", "version": case.version}, **HTMX
    )
    assert response.status_code == 400
    assert "Обязательное поле" in response.content.decode()
    assert not CaseEvent.objects.filter(case=case, action="return").exists()


def test_a_conflict_says_so_and_keeps_the_typed_text(as_, world, make_case, drive):
    case = drive(make_case(), "on_review")
    stale = case.version
    client = as_(world.users["administrator"])
    client.post(f"/cases/{case.pk}/do/approve/", {"version": stale})
    response = client.post(
        f"/cases/{case.pk}/do/return/", {"reason": "Фото не того двора", "version": stale}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "уже изменил другой пользователь" in html
    assert "Фото не того двора" in html


def test_a_role_that_may_not_act_gets_a_403_page(as_, world, make_case, drive):
    case = drive(make_case(), "on_review")
    response = as_(world.users["curator"]).post(f"/cases/{case.pk}/do/publish/")
    assert response.status_code == 403


def test_a_case_outside_the_scope_is_a_404_page(as_, world, make_case):
    case = make_case()
    client = as_(world.users["curator_other"])
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.post(f"/cases/{case.pk}/do/set_fast_track/", {"value": "on"}).status_code == 404


def test_the_executor_answers_with_a_photo_through_the_form(as_, world, make_case, drive):
    case = drive(make_case(), "in_progress")
    response = as_(world.users["executor"]).post(
        f"/cases/{case.pk}/do/submit_answer/",
        {"text": "Яма заделана", "attachments": [png()], "version": case.version},
        **HTMX,
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    html = response.content.decode()
    assert "На проверке" in html and "Фото к ответу" in html


def test_the_answer_form_takes_a_photo_from_the_phone_camera(as_, world, make_case, drive):
    case = drive(make_case(), "in_progress")
    html = as_(world.users["executor"]).get(f"/cases/{case.pk}/").content.decode()
    assert 'accept="image/*,application/pdf"' in html
    assert 'capture="environment"' in html and "multiple" in html


def test_interim_answer_through_the_form(as_, world, make_case, drive):
    case = drive(make_case(), "in_progress")
    when = future(30).astimezone(world.mun.zone).strftime("%Y-%m-%dT%H:%M")
    response = as_(world.users["executor"]).post(
        f"/cases/{case.pk}/do/interim_answer/",
        {"text": "Выедем завтра", "promised_at": when},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Обещанный срок" in response.content.decode()


def test_the_executor_sees_why_the_answer_was_returned(as_, world, make_case, drive):
    from cases import services

    case = drive(make_case(), "on_review")
    services.case_return(
        case.pk, actor=world.users["administrator"], reason="Приложите фото после ремонта"
    )
    html = as_(world.users["executor"]).get(f"/cases/{case.pk}/").content.decode()
    assert "Ответ возвращён на доработку" in html
    assert "Приложите фото после ремонта" in html


def test_feedback_form_reopens_on_a_low_rating(as_, world, make_case, drive):
    case = drive(make_case(), "published")
    response = as_(world.users["administrator"]).post(
        f"/cases/{case.pk}/do/feedback/", {"rating": "1", "comment": "Не сделано"}, **HTMX
    )
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == "in_progress" and case.repeat_count == 1


def test_reassignment_request_from_the_card_leads_back_to_the_list(as_, world, make_case, drive):
    case = drive(make_case(), "assigned")
    response = as_(world.users["executor"]).post(
        f"/cases/{case.pk}/do/request_reassignment/", {"reason": "Не наша компетенция"}, **HTMX
    )
    assert response.status_code == 204 and response["HX-Redirect"] == "/cases/"


def test_answer_template_is_inserted_into_the_textarea(as_, world, make_case, drive, category):
    template = AnswerTemplate.objects.create(
        category=category.parent, title="Ямы", text="Ямочный ремонт выполнен."
    )
    AnswerTemplate.objects.create(
        category=category, municipality=world.mun_other, title="Чужой", text="Не для нас"
    )
    case = drive(make_case(), "in_progress")
    client = as_(world.users["executor"])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Ямы" in html and "Чужой" not in html
    response = client.get(
        f"/cases/{case.pk}/answer-template/",
        {"template": template.pk, "text": "Здравствуйте!", "action": "submit_answer"},
        **HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Здравствуйте!\n\nЯмочный ремонт выполнен." in body
    assert 'id="wrap_id_text_submit_answer"' in body


def test_queues_with_counts_for_the_administrator(as_, world, make_case, drive):
    make_case()
    make_case()
    drive(make_case(), "on_review")
    response = as_(world.users["administrator"]).get("/cases/")
    queues = {name: count for name, _label, count in response.context["queues"]}
    assert queues["moderation"] == 2 and queues["review"] == 1
    assert set(queues) == {"moderation", "review", "approval", "ready", "overdue", "fast_track"}
    response = as_(world.users["administrator"]).get("/cases/", {"queue": "review"})
    assert response.context["total"] == 1


def test_the_executors_queue_is_their_open_work(as_, world, make_case, drive):
    from cases.models import Case

    mine = drive(make_case(), "in_progress")  # taken into work by «executor»
    colleague = drive(make_case(), "in_progress")
    Case.objects.filter(pk=colleague.pk).update(assignee=None)  # the organisation's
    waiting = drive(make_case(), "assigned")
    drive(make_case(), "on_review")
    response = as_(world.users["executor"]).get("/cases/", {"queue": "mine"})
    # «Мои»: the user's own, not the whole organisation's.
    assert [c.pk for c in response.context["page"]] == [mine.pk]
    response = as_(world.users["executor"]).get("/cases/", {"queue": "to_accept"})
    assert [c.pk for c in response.context["page"]] == [waiting.pk]


def test_the_overdue_queue_holds_cases_with_a_breached_clock(as_, world, make_case, drive):
    from django.utils import timezone

    from deadlines.models import Deadline

    late = make_case()
    make_case()
    # As the sweep leaves it: past due and marked (rows written around the services keep
    # the case's nearest term by hand).
    Deadline.objects.filter(case=late, stage="first_reply").update(
        due_at=timezone.now() - dt.timedelta(minutes=1), breached_at=timezone.now()
    )
    cases_next_due_refresh(case_ids=[late.pk])
    response = as_(world.users["administrator"]).get("/cases/", {"queue": "overdue"})
    assert [c.pk for c in response.context["page"]] == [late.pk]


def test_the_list_sorts_by_the_nearest_deadline(as_, world, make_case):
    import datetime as dt

    from django.utils import timezone

    from deadlines.models import Deadline

    first, second = make_case(), make_case()
    Deadline.objects.filter(case=second).update(due_at=timezone.now() + dt.timedelta(hours=1))
    Deadline.objects.filter(case=first).update(due_at=timezone.now() + dt.timedelta(hours=5))
    cases_next_due_refresh(case_ids=[first.pk, second.pk])
    CaseFactory(municipality=world.mun)  # no clocks: last
    response = as_(world.users["administrator"]).get("/cases/", {"ordering": "deadline"})
    pks = [c.pk for c in response.context["page"]]
    assert pks[:2] == [second.pk, first.pk] and len(pks) == 3


@pytest.mark.parametrize("query", ["ЁЛКА", "елка"])
def test_search_folds_case_and_yo_on_the_page(as_, world, make_case, query):
    found = make_case(text="Упала ёлка во дворе")
    make_case(text="Яма")
    response = as_(world.users["administrator"]).get("/cases/", {"q": query})
    assert [c.pk for c in response.context["page"]] == [found.pk]


def test_bulk_assignment(as_, world, make_case, category):
    a, b = make_case(category=category), make_case(category=category)
    untouched = make_case(category=category)
    response = as_(world.users["administrator"]).post(
        "/cases/bulk-assign/", {"ids": [a.pk, b.pk], "organization": world.org.pk}
    )
    assert response.status_code == 302
    for case in (a, b):
        case.refresh_from_db()
        assert case.status == "assigned" and case.organisation == world.org
    untouched.refresh_from_db()
    assert untouched.status == "new"
    assert CaseEvent.objects.filter(action="assign").count() == 2


def test_bulk_assignment_reports_the_cases_it_could_not_assign(as_, world, make_case, category):
    ok, no_category = make_case(category=category), make_case()
    client = as_(world.users["administrator"])
    response = client.post(
        "/cases/bulk-assign/",
        {"ids": [ok.pk, no_category.pk], "organization": world.org.pk},
        follow=True,
    )
    text = response.content.decode()
    assert "Назначено сообщений: 1" in text and "Выберите категорию" in text


def test_bulk_assignment_is_for_administrators_only(as_, world, make_case):
    case = make_case()
    response = as_(world.users["executor"]).post(
        "/cases/bulk-assign/", {"ids": [case.pk], "organization": world.org.pk}
    )
    assert response.status_code == 403


def test_the_list_shows_checkboxes_only_to_administrators(as_, world, make_case):
    make_case()
    assert 'form="bulk-assign"' in as_(world.users["administrator"]).get("/cases/").content.decode()
    assert 'form="bulk-assign"' not in as_(world.users["curator"]).get("/cases/").content.decode()


def test_list_query_count_does_not_grow_with_rows(
    as_, world, make_case, drive, django_assert_max_num_queries
):
    for _ in range(3):
        drive(make_case(), "assigned")
    client = as_(world.users["administrator"])
    client.get("/cases/", {"ordering": "deadline"})  # warm the municipality's calendar
    # 16: the page reads the person's saved views (cases/saved_views.py) and their own
    # page size and columns (mcu.ListSettings) too.
    with django_assert_max_num_queries(16) as small:
        client.get("/cases/", {"ordering": "deadline"})
    for _ in range(12):
        drive(make_case(), "assigned")
    # +1: the calendar cache re-checks its version once in a while (deadlines.calendars).
    with django_assert_max_num_queries(len(small.captured_queries) + 1):
        client.get("/cases/", {"ordering": "deadline"})


def test_card_query_count_is_bounded(as_, world, make_case, drive, django_assert_max_num_queries):
    case = drive(make_case(), "on_review")
    client = as_(world.users["administrator"])  # the login is not the card's
    # One read of a pending interim answer decides its review buttons.
    with django_assert_max_num_queries(23):
        client.get(f"/cases/{case.pk}/")


def test_a_breached_reassignment_window_does_not_make_a_case_overdue(as_, world, make_case, drive):
    from django.utils import timezone

    from deadlines.models import Deadline

    case = drive(make_case(), "assigned")
    Deadline.objects.filter(case=case, stage="reassign_window").update(breached_at=timezone.now())
    response = as_(world.users["administrator"]).get("/cases/", {"queue": "overdue"})
    assert response.context["total"] == 0


def test_a_clock_past_due_is_overdue_before_the_sweep_marks_it(as_, world, make_case):
    import datetime as dt

    from django.utils import timezone

    from deadlines.models import Deadline

    late = make_case()
    Deadline.objects.filter(case=late, stage="answer").update(
        due_at=timezone.now() - dt.timedelta(minutes=5)
    )
    cases_next_due_refresh(case_ids=[late.pk])
    response = as_(world.users["administrator"]).get("/cases/")
    queues = {name: count for name, _label, count in response.context["queues"]}
    assert queues["overdue"] == 1


def test_the_curator_toggles_fast_track_from_the_card(as_, world, make_case, drive):
    case = drive(make_case(), "in_progress")
    client = as_(world.users["curator"])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Отметить повышенную важность" in html
    response = client.post(f"/cases/{case.pk}/do/set_fast_track/", {"value": "True"}, **HTMX)
    assert response.status_code == 200
    assert "Снять повышенную важность" in response.content.decode()
    case.refresh_from_db()
    assert case.fast_track is True
    client.post(f"/cases/{case.pk}/do/set_fast_track/", {"value": "False"}, **HTMX)
    case.refresh_from_db()
    assert case.fast_track is False


def test_the_administrator_assigns_from_the_card(as_, world, make_case, category, district):
    case = make_case()
    response = as_(world.users["administrator"]).post(
        f"/cases/{case.pk}/do/assign/",
        {
            "organization": world.org.pk,
            "category": category.pk,
            "district": district.pk,
            "address": "ул. Кузнецкая, 5",
            "version": case.version,
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.organisation, case.district) == ("assigned", world.org, district)


def test_reject_as_a_duplicate_names_the_original(as_, world, make_case):
    original, dup = make_case(), make_case()
    client = as_(world.users["administrator"])
    response = client.post(
        f"/cases/{dup.pk}/do/reject/", {"reason_kind": "duplicate", "duplicate_of": "nope"}
    )
    assert response.status_code == 400
    assert "Укажите номер исходного сообщения" in response.content.decode()
    client.post(
        f"/cases/{dup.pk}/do/reject/",
        {"reason_kind": "duplicate", "duplicate_of": original.registration_number},
    )
    dup.refresh_from_db()
    assert dup.status == "rejected" and dup.duplicate_of == original
    event = CaseEvent.objects.get(case=dup, action="reject")
    assert event.reason == f"Дубликат сообщения № {original.registration_number}"


def test_after_a_conflict_the_kept_form_can_be_sent_again(as_, world, make_case, drive):
    """The executor had the card open; the curator marked the case fast-track meanwhile.
    The 409 keeps the text with the new version, so a second send goes through."""
    import re

    case = drive(make_case(), "in_progress")
    stale = case.version
    as_(world.users["curator"]).post(f"/cases/{case.pk}/do/set_fast_track/", {"value": "on"})
    executor = as_(world.users["executor"])
    data = {
        "text": "Промежуточно: выезд завтра",
        # Derived from now: a literal date turns into the past (a 400, not the 409).
        "promised_at": future().astimezone(world.mun.zone).strftime("%Y-%m-%dT%H:%M"),
        "version": stale,
    }
    response = executor.post(f"/cases/{case.pk}/do/interim_answer/", data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Промежуточно: выезд завтра" in html
    case.refresh_from_db()
    versions = re.findall(r'name="version" value="(\d+)"', html)
    assert versions and set(versions) == {str(case.version)}
    data["version"] = case.version
    response = executor.post(f"/cases/{case.pk}/do/interim_answer/", data)
    assert response.status_code in (200, 302)
    assert CaseEvent.objects.filter(case=case, action="interim_answer").count() == 1


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example/"])
def test_bulk_assignment_never_redirects_off_the_desk(as_, world, target):
    response = as_(world.users["administrator"]).post(
        "/cases/bulk-assign/", {"ids": [], "organization": world.org.pk, "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == "/cases/"


def test_a_duplicate_reference_must_be_a_case_the_user_can_see(as_, world, make_case):
    hidden = make_case(kind="appeal", channel="letter", organisation=None)
    case = make_case(organisation=None)
    response = as_(world.users["admin_incidents"]).post(
        f"/cases/{case.pk}/do/reject/",
        {
            "reason_kind": "duplicate",
            "duplicate_of": hidden.registration_number,
            "version": case.version,
        },
    )
    assert response.status_code == 400
    assert not CaseEvent.objects.filter(case=case, action="reject").exists()
