"""Open311 GeoReport v2 (channels/open311, docs/open311.md): every endpoint, its errors in
GeoReport's format, the client's key and municipality, the public status after
publication, and residents' personal data never in an answer."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services as case_services
from cases.models import Case
from channels.open311.views import Open311Throttle
from deadlines.models import Deadline
from mcu.models import ApiToken
from tests.cases.conftest import category, drive, make_case, png  # noqa: F401  (fixtures)
from tests.factories import CategoryFactory, UserFactory, api_key_for

BASE = "/open311/v2"
RESIDENT = {
    "first_name": "Акакий",
    "last_name": "Башмачкин",
    "email": "akakiy.bashmachkin@example.org",
    "phone": "+7 913 555-44-33",
}


@pytest.fixture
def tree(category):  # noqa: F811
    """Дороги → Ремонт дорог (a leaf); Освещение → Фонари (a leaf under a category) and an
    inactive leaf; an inactive sector with an active child."""
    lighting = CategoryFactory(code="light", name="Освещение")
    lamps = CategoryFactory(code="light-street", name="Уличное освещение", parent=lighting)
    CategoryFactory(code="light-street-lamps", name="Фонари", parent=lamps)
    CategoryFactory(code="light-old", name="Старое", parent=lighting, is_active=False)
    hidden = CategoryFactory(code="gone", name="Упразднено", is_active=False)
    CategoryFactory(code="gone-child", name="Потомок упразднённого", parent=hidden)
    return category


@pytest.fixture
def client_user(world):
    return world.users["integration"]


@pytest.fixture
def key(client_user):
    return api_key_for(client_user, scope="open311")


@pytest.fixture
def api():
    return APIClient()


def report(**overrides) -> dict:
    body = {
        "service_code": "roads-repair",
        "lat": "53.6866",
        "long": "88.0702",
        "address_string": "ул. Кузнецкая, 5",
        "description": "Глубокая яма у дома 5, машины бьют колёса",
        "media_url": "https://portal.example.ru/photo/1.jpg",
        **RESIDENT,
    }
    for name, value in overrides.items():
        if value is ...:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def post(api, key, body, **extra):
    return api.post(f"{BASE}/requests.json", {**body, "api_key": key}, format=None, **extra)


def errors_of(response) -> list[str]:
    body = response.json()
    assert isinstance(body, list) and body, body
    assert all(e["code"] == response.status_code for e in body), body
    return [e["description"] for e in body]


# ---------------------------------------------------------------------------------------
# services
# ---------------------------------------------------------------------------------------


def test_services_are_the_active_leaves_of_the_category_tree(api, key, tree):
    response = api.get(f"{BASE}/services.json", {"api_key": key})
    assert response.status_code == 200
    services = {s["service_code"]: s for s in response.json()}
    assert set(services) == {"roads-repair", "light-street-lamps"}
    lamps = services["light-street-lamps"]
    assert lamps == {
        "service_code": "light-street-lamps",
        "service_name": "Фонари",
        "description": "Освещение → Уличное освещение → Фонари",
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "Освещение",
    }


def test_a_service_definition_has_no_attributes_and_an_unknown_one_is_404(api, key, tree):
    response = api.get(f"{BASE}/services/roads-repair.json", {"api_key": key})
    assert response.json() == {"service_code": "roads-repair", "attributes": []}
    response = api.get(f"{BASE}/services/roads.json", {"api_key": key})  # not a leaf
    assert response.status_code == 404
    assert errors_of(response) == ["service_code: Нет такой услуги."]


# ---------------------------------------------------------------------------------------
# POST requests
# ---------------------------------------------------------------------------------------


def test_a_report_becomes_a_case_through_the_ingest_with_its_clocks(api, key, tree, world):
    response = post(api, key, report())
    assert response.status_code == 201, response.content
    [created] = response.json()
    case = Case.objects.get(pk=int(created["service_request_id"]))
    assert created["service_notice"] == f"Зарегистрировано: № {case.registration_number}."
    assert created["account_id"] is None
    assert (case.channel, case.kind, case.municipality) == ("open311", "incident", world.mun)
    assert case.category.code == "roads-repair"
    assert case.text == "Глубокая яма у дома 5, машины бьют колёса"
    assert (float(case.latitude), float(case.longitude)) == (53.6866, 88.0702)
    # The resident is stored as the author (personal data, for the roles that need it).
    assert case.author_name == "Акакий Башмачкин"
    assert case.author_contacts == "+7 913 555-44-33, akakiy.bashmachkin@example.org"
    assert case.ingest_record.integration == world.users["integration"]
    assert case.ingest_record.attachment_urls == ["https://portal.example.ru/photo/1.jpg"]
    assert case.events.get().action == "register"
    assert Deadline.objects.filter(case_id=case.pk, met_at__isnull=True).exists()


def test_json_is_accepted_too_and_the_text_defaults_to_the_service(api, key, tree):
    body = report(description=..., lat=53.7, long=88.1)
    response = api.post(
        f"{BASE}/requests.json?api_key={key}", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=int(response.json()[0]["service_request_id"]))
    assert case.text == "Ремонт дорог"


def test_a_repeated_post_is_the_same_request(api, key, tree):
    first = post(api, key, report())
    again = post(api, key, report())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()[0]["service_request_id"] == first.json()[0]["service_request_id"]
    other = post(api, key, report(description="Другая яма, у дома 7"))
    assert other.status_code == 201
    assert Case.objects.filter(channel="open311").count() == 2


def test_the_clients_own_request_id_makes_it_idempotent_whatever_the_content(api, key, tree):
    first = post(api, key, report(service_request_id="portal-77"))
    edited = post(api, key, report(service_request_id="portal-77", description="Уточнение"))
    assert (first.status_code, edited.status_code) == (201, 200)
    assert edited.json()[0]["service_request_id"] == first.json()[0]["service_request_id"]


def test_the_same_report_of_another_client_is_its_own_request(api, key, tree, world):
    other = UserFactory(role="integration", municipality=world.mun)
    mine = post(api, key, report()).json()[0]["service_request_id"]
    theirs = post(api, api_key_for(other, scope="open311"), report())
    assert theirs.status_code == 201
    assert theirs.json()[0]["service_request_id"] != mine


def test_a_rotated_key_files_into_the_same_requests(api, client_user, tree, world):
    from mcu.tokens import api_token_rotate

    old_key = api_key_for(client_user, scope="open311")
    first = post(api, old_key, report())
    token = ApiToken.objects.get(user=client_user, scope="open311")
    _new, new_key = api_token_rotate(actor=world.users["head"], pk=token.pk)
    again = post(api, new_key, report())
    assert again.status_code == 200
    assert again.json() == first.json()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"service_code": ...}, "service_code: Обязательное поле."),
        ({"service_code": "nope"}, "service_code: Нет услуги с кодом «nope» (см. services.json)."),
        (
            {"service_code": "roads"},
            "service_code: Нет услуги с кодом «roads» (см. services.json).",
        ),
        ({"long": ...}, "long: Укажите lat и long вместе."),
        (
            {"lat": ..., "long": ..., "address_string": ...},
            "lat: Укажите место: lat и long или address_string.",
        ),
        (
            {"lat": ..., "long": ..., "address_string": ..., "address_id": "A-17"},
            "lat: address_id не поддерживается: укажите lat и long или address_string.",
        ),
        ({"lat": "91"}, "lat: Убедитесь, что это значение меньше либо равно 90."),
        ({"email": "not-an-email"}, "email: Введите правильный адрес электронной почты."),
        ({"media_url": "javascript:alert(1)"}, "media_url: Введите правильный URL."),
        (
            {"description": "я" * 4001},
            "description: Убедитесь, что это значение содержит не более 4000 символов.",
        ),
        ({"jurisdiction_id": "srt"}, "jurisdiction_id: Нет такой юрисдикции для этого ключа."),
    ],
)
def test_bad_input_is_a_georeport_error_naming_the_field_and_nothing_is_stored(
    api, key, tree, overrides, expected
):
    response = post(api, key, report(**overrides))
    assert response.status_code == (404 if "jurisdiction_id" in overrides else 400)
    assert errors_of(response) == [expected]
    assert not Case.objects.filter(channel="open311").exists()


def test_an_oversize_body_is_refused_before_it_is_read(api, key, tree):
    response = api.post(
        f"{BASE}/requests.json?api_key={key}",
        "x",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(65 * 1024),
    )
    assert response.status_code == 413
    assert errors_of(response)[0].startswith("Слишком большой запрос")


# ---------------------------------------------------------------------------------------
# GET requests
# ---------------------------------------------------------------------------------------


def _file(api, key, **overrides) -> str:
    response = post(api, key, report(**overrides))
    assert response.status_code == 201, response.content
    return response.json()[0]["service_request_id"]


def test_a_request_reads_back_without_any_personal_data(api, key, tree, world):
    rid = _file(api, key)
    answers = [
        post(api, key, report()),  # the duplicate's answer
        api.get(f"{BASE}/requests.json", {"api_key": key}),
        api.get(f"{BASE}/requests/{rid}.json", {"api_key": key}),
        api.get(f"{BASE}/requests.json", {"api_key": key, "service_request_id": rid}),
    ]
    for response in answers:
        assert response.status_code == 200
        text = response.content.decode()
        for value in (*RESIDENT.values(), "Акакий Башмачкин", "akakiy", "555-44-33"):
            assert value not in text, (value, text)
    [row] = answers[2].json()
    assert row["service_request_id"] == rid
    assert row["status"] == "open" and row["status_notes"] == ""
    assert (row["service_code"], row["service_name"]) == ("roads-repair", "Ремонт дорог")
    assert row["description"] == "Глубокая яма у дома 5, машины бьют колёса"
    assert (row["lat"], row["long"], row["address"]) == (53.6866, 88.0702, "ул. Кузнецкая, 5")
    assert row["media_url"] == "https://portal.example.ru/photo/1.jpg"
    assert row["requested_datetime"].endswith("+07:00")  # Междуреченск's zone
    assert set(row) == {
        "service_request_id", "status", "status_notes", "service_name", "service_code",
        "description", "agency_responsible", "service_notice", "requested_datetime",
        "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
        "long", "media_url",
    }  # fmt: skip


def test_the_public_status_follows_the_published_answer_never_internal_notes(
    api,
    key,
    tree,
    world,
    drive,  # noqa: F811
):
    u = world.users
    case = Case.objects.get(pk=int(_file(api, key)))
    case = drive(case, "in_progress")
    case = case_services.case_submit_answer(
        case.pk, actor=u["executor"], text="Черновик: ВНУТРЕННИЙ ответ", attachments=[png()]
    )
    case = case_services.case_return(
        case.pk, actor=u["administrator"], reason="ВНУТРЕННЯЯ причина возврата"
    )

    def read():
        [row] = api.get(f"{BASE}/requests/{case.pk}.json", {"api_key": key}).json()
        return row

    row = read()
    assert (row["status"], row["status_notes"]) == ("open", "")
    assert row["agency_responsible"] == world.org.name
    promised = timezone.now() + dt.timedelta(days=3)
    case = case_services.case_give_interim_answer(
        case.pk, actor=u["executor"], text="Заделаем яму до пятницы", promised_at=promised
    )
    case = case_services.case_publish_interim(case.pk, actor=u["administrator"])
    row = read()
    assert (row["status"], row["status_notes"]) == ("open", "Заделаем яму до пятницы")
    assert row["expected_datetime"] is not None
    case = case_services.case_submit_answer(
        case.pk, actor=u["executor"], text="Яма заделана 12.05", attachments=[png()]
    )
    case = case_services.case_approve(case.pk, actor=u["administrator"])
    if case.status == "on_approval":
        case = case_services.case_approve(case.pk, actor=u["curator"])
    case_services.case_publish(case.pk, actor=u["administrator"])
    row = read()
    assert (row["status"], row["status_notes"]) == ("closed", "Яма заделана 12.05")
    assert row["expected_datetime"] is None
    text = json.dumps(row, ensure_ascii=False)
    assert "ВНУТРЕНН" not in text
    closed = api.get(f"{BASE}/requests.json", {"api_key": key, "status": "closed"}).json()
    opened = api.get(f"{BASE}/requests.json", {"api_key": key, "status": "open"}).json()
    assert [r["service_request_id"] for r in closed] == [str(case.pk)] and opened == []


def test_a_rejected_request_is_closed_without_the_reason(api, key, tree, world):
    case = Case.objects.get(pk=int(_file(api, key)))
    case_services.case_reject(case.pk, actor=world.users["administrator"], reason="СПАМ, бот")
    [row] = api.get(f"{BASE}/requests/{case.pk}.json", {"api_key": key}).json()
    assert (row["status"], row["status_notes"]) == ("closed", "Сообщение отклонено.")


def test_the_list_filters_by_ids_service_and_dates(api, key, tree):
    a = _file(api, key)
    b = _file(api, key, service_code="light-street-lamps", description="Не горит фонарь")
    listed = api.get(f"{BASE}/requests.json", {"api_key": key}).json()
    assert [r["service_request_id"] for r in listed] == [b, a]  # newest first
    by_service = api.get(
        f"{BASE}/requests.json", {"api_key": key, "service_code": "light-street-lamps"}
    ).json()
    assert [r["service_request_id"] for r in by_service] == [b]
    by_ids = api.get(f"{BASE}/requests.json", {"api_key": key, "service_request_id": f"{a},{b}"})
    assert {r["service_request_id"] for r in by_ids.json()} == {a, b}
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    assert api.get(f"{BASE}/requests.json", {"api_key": key, "start_date": later}).json() == []
    earlier = (timezone.now() - dt.timedelta(days=200)).isoformat()
    old = api.get(f"{BASE}/requests.json", {"api_key": key, "end_date": earlier}).json()
    assert old == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"service_request_id": "12,abc"}, "service_request_id: Номера обращений — целые числа."),
        ({"status": "pending"}, "status: Статус — open или closed."),
        (
            {"start_date": "2026-05-01T10:00:00"},
            "start_date: Укажите время со смещением от UTC (ISO 8601), например "
            "2026-05-08T16:30:00+07:00.",
        ),
        (
            {"start_date": "2026-05-02T00:00:00+07:00", "end_date": "2026-05-01T00:00:00+07:00"},
            "end_date: Конец раньше начала.",
        ),
    ],
)
def test_bad_list_parameters_are_georeport_errors(api, key, tree, params, expected):
    response = api.get(f"{BASE}/requests.json", {"api_key": key, **params})
    assert response.status_code == 400
    assert errors_of(response) == [expected]


def test_unknown_or_non_numeric_ids_are_georeport_404s(api, key, tree):
    for rid in ("999999", "abc", "9" * 30):
        response = api.get(f"{BASE}/requests/{rid}.json", {"api_key": key})
        assert response.status_code == 404
        assert errors_of(response) == ["service_request_id: Нет такого обращения."]


def test_xml_is_refused_in_json(api, key, tree):
    response = api.get(f"{BASE}/services.xml", {"api_key": key})
    assert response.status_code == 404
    assert errors_of(response) == ["format: Формат XML не поддерживается: используйте .json."]


# ---------------------------------------------------------------------------------------
# The client: its key, its municipality, its own requests
# ---------------------------------------------------------------------------------------


def test_a_client_sees_only_its_own_requests_of_its_municipality(
    api,
    key,
    tree,
    world,
    make_case,  # noqa: F811
):
    rid = _file(api, key)
    same_mun = api_key_for(UserFactory(role="integration", municipality=world.mun), "open311")
    other_mun = api_key_for(
        UserFactory(role="integration", municipality=world.mun_other), "open311"
    )
    make_case(text="Пост ВКонтакте, не из Open311")  # another channel: never listed
    for other in (same_mun, other_mun):
        assert api.get(f"{BASE}/requests.json", {"api_key": other}).json() == []
        assert api.get(f"{BASE}/requests/{rid}.json", {"api_key": other}).status_code == 404
    assert [r["service_request_id"] for r in api.get(
        f"{BASE}/requests.json", {"api_key": key}
    ).json()] == [rid]  # fmt: skip


def test_a_client_is_bound_to_its_municipality(api, key, tree, world):
    ok = api.get(f"{BASE}/services.json", {"api_key": key, "jurisdiction_id": "mzh"})
    assert ok.status_code == 200
    for other in ("srt", "no-such-place"):
        response = api.get(f"{BASE}/requests.json", {"api_key": key, "jurisdiction_id": other})
        assert response.status_code == 404
        assert errors_of(response) == ["jurisdiction_id: Нет такой юрисдикции для этого ключа."]
    # A client of Саратов files into Саратов, whatever it names.
    saratov = UserFactory(role="integration", municipality=world.mun_other)
    saratov_key = api_key_for(saratov, scope="open311")
    assert post(api, saratov_key, report(jurisdiction_id="mzh")).status_code == 404
    rid = _file(api, saratov_key)
    assert Case.objects.get(pk=int(rid)).municipality == world.mun_other


@pytest.mark.parametrize("case", ["missing", "wrong", "api_scope", "revoked", "expired", "staff"])
def test_a_key_that_is_not_a_valid_open311_key_is_one_generic_403(
    api, client_user, tree, world, case
):
    from mcu.tokens import api_token_revoke

    if case == "missing":
        key = None
    elif case == "wrong":
        key = "mcu_" + "x" * 54
    elif case == "api_scope":
        key = api_key_for(client_user, scope="api")
    elif case == "staff":
        key = api_key_for(world.users["administrator"], scope="open311")
    else:
        past = timezone.now() - dt.timedelta(days=2) if case == "expired" else None
        key = api_key_for(
            client_user,
            scope="open311",
            **({"at": past, "lifetime": dt.timedelta(days=1)} if past else {}),
        )
        if case == "revoked":
            token = ApiToken.objects.get(user=client_user, scope="open311")
            api_token_revoke(actor=world.users["head"], pk=token.pk)
    params = {"api_key": key} if key else {}
    for response in (
        api.get(f"{BASE}/services.json", params),
        api.get(f"{BASE}/requests.json", params),
        api.post(f"{BASE}/requests.json", {**report(), **params}),
    ):
        assert response.status_code == 403
        [message] = errors_of(response)
        assert message in (
            "api_key: Неверный или недействующий ключ API.",
            "api_key: Нужен действующий api_key клиента Open311.",
        )
        assert "WWW-Authenticate" not in response.headers
    assert not Case.objects.filter(channel="open311").exists()


def test_an_open311_key_opens_nothing_of_the_desks_api(api, key, tree):
    response = api.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_over_the_rate_is_429_with_retry_after(api, key, tree, monkeypatch):
    monkeypatch.setattr(Open311Throttle, "THROTTLE_RATES", {"open311": "2/min"})
    for _ in range(2):
        assert api.get(f"{BASE}/services.json", {"api_key": key}).status_code == 200
    refused = api.get(f"{BASE}/services.json", {"api_key": key})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    [message] = errors_of(refused)
    assert refused.headers["Retry-After"] in message  # «… через N секунд»


def test_the_default_rate_is_the_ingests():
    assert Open311Throttle.THROTTLE_RATES["open311"] == Open311Throttle.THROTTLE_RATES["ingest"]


def test_answers_are_not_cached(api, key, tree):
    response = api.get(f"{BASE}/services.json", {"api_key": key})
    assert response["Cache-Control"] == "private, no-store"


# ---------------------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------------------


def test_the_openapi_schema_documents_every_endpoint_with_examples(client, world):
    client.force_login(world.users["head"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path, methods in {
        "/open311/v2/services.json": ["get"],
        "/open311/v2/services/{service_code}.json": ["get"],
        "/open311/v2/requests.json": ["get", "post"],
        "/open311/v2/requests/{service_request_id}.json": ["get"],
    }.items():
        for method in methods:
            operation = paths[path][method]
            assert {"403", "404", "429"} <= set(operation["responses"]), (path, method)
            assert operation["security"] == [{"open311ApiKey": []}]
    post_op = paths["/open311/v2/requests.json"]["post"]
    assert {"200", "201", "400", "413"} <= set(post_op["responses"])
    assert "examples" in post_op["requestBody"]["content"]["application/json"]
    assert schema["components"]["securitySchemes"]["open311ApiKey"]["in"] == "query"


def test_the_list_costs_the_same_few_queries_for_one_request_or_twenty(
    api, key, tree, django_assert_max_num_queries
):
    # The key (1), the cases with their category, organisation and ingest record (1), their
    # published answers (1): three, whatever the number of rows.
    _file(api, key)
    with django_assert_max_num_queries(3):
        assert len(api.get(f"{BASE}/requests.json", {"api_key": key}).json()) == 1
    for n in range(19):
        _file(api, key, description=f"Яма номер {n}")
    with django_assert_max_num_queries(3):
        assert len(api.get(f"{BASE}/requests.json", {"api_key": key}).json()) == 20
