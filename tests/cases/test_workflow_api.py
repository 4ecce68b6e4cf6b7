"""POST /api/v1/cases/{id}/<action>/ end to end: each action returns the case with its
status, clocks and allowed actions; 400 names the field, 403 for the role, 404 outside the
scope, 409 for the state. GET …/events/ is the timeline."""

import pytest
from django.utils import timezone

from cases.models import Attachment, CaseEvent
from tests.cases.conftest import PNG, future, png
from tests.factories import api_key_for


@pytest.fixture
def api(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_


def post(client, case, action, data=None, *, multipart=False, **kwargs):
    if not multipart:
        kwargs.setdefault("content_type", "application/json")
    return client.post(f"/api/v1/cases/{case.pk}/{action}/", data or {}, **kwargs)


def _ok(response, status):
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == status
    assert {"clocks", "allowed_actions", "version", "answers"} <= set(body)
    return body


def test_the_whole_path_through_the_api(api, world, make_case, category, require_approval):
    require_approval("incident")
    case = make_case()
    u = world.users
    body = _ok(
        post(
            api(u["administrator"]),
            case,
            "assign",
            {"organization": world.org.pk, "category": category.pk, "fast_track": False},
        ),
        "assigned",
    )
    assert body["allowed_actions"] == ["assign", "reject"]
    assert {c["stage"] for c in body["clocks"]} >= {"first_reply", "answer", "reassign_window"}
    body = _ok(post(api(u["executor"]), case, "accept"), "in_progress")
    assert "submit-answer" in body["allowed_actions"]
    _ok(
        post(
            api(u["executor"]),
            case,
            "interim-answer",
            {"text": "Выедем завтра", "promised_at": future().isoformat()},
        ),
        "in_progress",
    )
    body = _ok(
        post(
            api(u["executor"]),
            case,
            "submit-answer",
            {"text": "Сделано", "attachments": [png()]},
            multipart=True,
        ),
        "on_review",
    )
    final = next(a for a in body["answers"] if a["kind"] == "final")
    assert final["attachments"][0]["content_type"] == "image/png"
    _ok(
        post(api(u["administrator"]), case, "return", {"reason": "Нет фото «после»"}), "in_progress"
    )
    _ok(post(api(u["executor"]), case, "submit-answer", {"text": "Исправлено"}), "on_review")
    _ok(post(api(u["administrator"]), case, "approve"), "on_approval")
    body = _ok(post(api(u["curator"]), case, "approve"), "approved")
    _ok(post(api(u["curator"]), case, "set-fast-track", {"value": True}), "approved")
    body = _ok(post(api(u["administrator"]), case, "publish"), "published")
    assert any(c["stage"] == "reaction" and c["state"] == "running" for c in body["clocks"])
    key = api_key_for(u["integration"])
    api(u["integration"]).logout()
    response = post(
        api(u["integration"]),
        case,
        "feedback",
        {"rating": 1, "comment": "Яма на месте"},
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    body = _ok(response, "in_progress")
    assert body["repeat_count"] == 1 and body["satisfaction"] == 1
    events = api(u["administrator"]).get(f"/api/v1/cases/{case.pk}/events/").json()
    assert [e["action"] for e in events] == [
        "register",
        "assign",
        "accept",
        "interim_answer",
        "submit_answer",
        "return",
        "submit_answer",
        "approve",
        "approve",
        "set_fast_track",
        "publish",
        "reopen",
    ]
    assert events[5]["reason"] == "Нет фото «после»"


def test_reject_and_request_reassignment(api, world, make_case, category):
    u = world.users
    spam = make_case()
    _ok(post(api(u["administrator"]), spam, "reject", {"reason": "Спам"}), "rejected")
    case = make_case()
    post(
        api(u["administrator"]),
        case,
        "assign",
        {"organization": world.org.pk, "category": category.pk},
    )
    response = post(
        api(u["executor"]), case, "request-reassignment", {"reason": "Не наша компетенция"}
    )
    assert response.status_code == 200
    # The case left the executor's scope: the answer says what became of it.
    assert response.json()["status"] == "new" and response.json()["allowed_actions"] == []


def test_reject_a_duplicate_by_id(api, world, make_case):
    original, dup = make_case(), make_case()
    response = post(
        api(world.users["administrator"]),
        dup,
        "reject",
        {"reason": "Дубликат", "duplicate_of": original.pk},
    )
    assert _ok(response, "rejected")["duplicate_of"] == original.pk


def test_a_good_rating_closes(api, world, make_case, drive):
    case = drive(make_case(), "published")
    body = _ok(post(api(world.users["administrator"]), case, "feedback", {"rating": 5}), "closed")
    # A later word of the resident is still recorded (and reopens nothing).
    assert body["allowed_actions"] == ["feedback"]


@pytest.mark.parametrize(
    ("action", "status", "persona", "data", "field"),
    [
        ("assign", "new", "administrator", {"category": 1}, "organization"),
        ("assign", "new", "administrator", {"organization": 10**9, "category": 1}, "organization"),
        ("reject", "new", "administrator", {}, "reason"),
        ("reject", "new", "administrator", {"reason": ""}, "reason"),
        ("request-reassignment", "assigned", "executor", {}, "reason"),
        ("interim-answer", "in_progress", "executor", {"text": "Скоро"}, "promised_at"),
        (
            "interim-answer",
            "in_progress",
            "executor",
            {"text": "Скоро", "promised_at": "завтра"},
            "promised_at",
        ),
        ("submit-answer", "in_progress", "executor", {}, "text"),
        ("return", "on_review", "administrator", {"reason": "   "}, "reason"),
        ("feedback", "published", "administrator", {}, "rating"),
        ("feedback", "published", "administrator", {"rating": 7}, "rating"),
        ("set-fast-track", "in_progress", "curator", {}, "value"),
    ],
)
def test_a_missing_or_bad_field_is_a_400_naming_it(
    api, world, make_case, drive, action, status, persona, data, field
):
    case = make_case()
    if status != "new":
        case = drive(case, status)
    events = CaseEvent.objects.filter(case=case).count()
    response = post(api(world.users[persona]), case, action, data)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert CaseEvent.objects.filter(case=case).count() == events


def test_interim_answer_in_the_past_is_a_400(api, world, make_case, drive):
    case = drive(make_case(), "in_progress")
    response = post(
        api(world.users["executor"]),
        case,
        "interim-answer",
        {"text": "Скоро", "promised_at": timezone.now().isoformat()},
    )
    assert response.status_code == 400 and "promised_at" in response.json()


def test_a_bad_attachment_is_a_400_on_attachments(api, world, make_case, drive):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = drive(make_case(), "in_progress")
    fake = SimpleUploadedFile("foto.jpg", b"MZ\x90\x00", content_type="image/jpeg")
    response = post(
        api(world.users["executor"]),
        case,
        "submit-answer",
        {"text": "Готово", "attachments": [fake]},
        multipart=True,
    )
    assert response.status_code == 400 and "attachments" in response.json()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("action", "status", "persona", "data"),
    [
        ("assign", "new", "curator", {"organization": 1, "category": 1}),
        ("assign", "new", "observer", {}),
        ("publish", "approved", "executor", {}),
        ("approve", "on_review", "executor", {}),
        ("feedback", "published", "executor", {"rating": 5}),
        ("feedback", "published", "curator", {"rating": 5}),
        ("set-fast-track", "in_progress", "administrator", {"value": True}),
        ("accept", "assigned", "administrator", {}),
        ("reject", "new", "integration", {"reason": "x"}),
    ],
)
def test_an_action_the_role_may_not_take_is_a_403(
    api, world, make_case, drive, action, status, persona, data
):
    case = make_case()
    if status != "new":
        case = drive(case, status)
    response = post(api(world.users[persona]), case, action, data)
    assert response.status_code == 403, response.content
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("action", "persona", "data"),
    [
        ("accept", "executor_other", {}),
        ("set-fast-track", "curator_other", {"value": True}),
        ("reject", "admin_incidents", {"reason": "Спам"}),  # a pos case: not their kind
    ],
)
def test_a_case_outside_the_scope_is_a_404(api, world, make_case, drive, action, persona, data):
    case = make_case("pos") if persona == "admin_incidents" else drive(make_case(), "assigned")
    response = post(api(world.users[persona]), case, action, data)
    assert response.status_code == 404, response.content


@pytest.mark.parametrize(
    ("action", "status", "persona", "data"),
    [
        ("accept", "in_progress", "executor", {}),
        ("publish", "on_review", "administrator", {}),
        ("approve", "on_review", "curator", {}),
        ("feedback", "in_progress", "administrator", {"rating": 2}),
        ("submit-answer", "on_review", "executor", {"text": "Ещё раз"}),
    ],
)
def test_a_wrong_state_is_a_409(api, world, make_case, drive, action, status, persona, data):
    case = drive(make_case(), status)
    response = post(api(world.users[persona]), case, action, data)
    assert response.status_code == 409, response.content
    assert "detail" in response.json()


def test_a_stale_version_is_a_409(api, world, make_case, category):
    case = make_case()
    client = api(world.users["administrator"])
    data = {"organization": world.org.pk, "category": category.pk, "version": case.version}
    assert post(client, case, "assign", data).status_code == 200
    data["organization"] = world.org2.pk
    response = post(client, case, "assign", data)
    assert response.status_code == 409
    assert "другой пользователь" in response.json()["detail"]


def test_a_late_reassignment_request_is_a_409(api, world, make_case, drive):
    from datetime import timedelta

    from deadlines.models import Deadline

    case = drive(make_case(), "assigned")
    Deadline.objects.filter(case=case, stage="reassign_window").update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    response = post(
        api(world.users["executor"]),
        case,
        "request-reassignment",
        {"reason": "Не наша компетенция"},
    )
    assert response.status_code == 409 and "30 минут" in response.json()["detail"]


def test_the_card_shows_clocks_and_allowed_actions(api, world, make_case, drive):
    case = drive(make_case(), "assigned")
    body = api(world.users["executor"]).get(f"/api/v1/cases/{case.pk}/").json()
    assert body["allowed_actions"] == ["accept", "request-reassignment", "interim-answer"]
    assert {c["stage"] for c in body["clocks"]} == {"first_reply", "answer", "reassign_window"}


def test_events_of_an_invisible_case_are_a_404(api, world, make_case):
    case = make_case()
    response = api(world.users["curator_other"]).get(f"/api/v1/cases/{case.pk}/events/")
    assert response.status_code == 404


def test_queue_filter_on_the_list(api, world, make_case, drive):
    new = make_case()
    drive(make_case(), "on_review")
    body = api(world.users["administrator"]).get("/api/v1/cases/", {"queue": "moderation"})
    assert [row["id"] for row in body.json()["results"]] == [new.pk]


def test_every_action_is_documented_in_the_openapi_schema(api, world):
    response = api(world.users["administrator"]).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = (
        response.json()
        if response["Content-Type"].startswith("application/json")
        else __import__("yaml").safe_load(response.content)
    )
    for path in [
        "assign",
        "reject",
        "accept",
        "request-reassignment",
        "interim-answer",
        "submit-answer",
        "approve",
        "return",
        "publish",
        "feedback",
        "set-fast-track",
    ]:
        op = schema["paths"][f"/api/v1/cases/{{id}}/{path}/"]["post"]
        assert {"200", "400", "403", "404", "409"} <= set(op["responses"]), path
        assert "requestBody" in op, path
    submit = schema["paths"]["/api/v1/cases/{id}/submit-answer/"]["post"]["requestBody"]
    assert "multipart/form-data" in submit["content"]


def test_png_constant_is_a_png():
    assert PNG.startswith(b"\x89PNG")


def test_a_case_cannot_be_rejected_as_a_duplicate_of_itself(world, make_case):
    from rest_framework.test import APIClient

    case = make_case(organisation=None)
    client = APIClient()
    client.force_authenticate(world.users["administrator"])
    response = client.post(
        f"/api/v1/cases/{case.pk}/reject/",
        {"reason": "Дубликат", "duplicate_of": case.pk},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "duplicate_of" in response.json()
    case.refresh_from_db()
    assert case.status == "new"
