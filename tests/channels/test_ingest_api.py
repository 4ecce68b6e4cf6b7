"""POST /api/v1/ingest/: one item in, once, structured (DESIGN §5)."""

import datetime as dt
import logging
import re

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, CaseEvent
from channels.api.throttles import IngestThrottle
from channels.limits import ATTACHMENTS_MAX, ITEM_MAX_BYTES, TEXT_MAX_CHARS
from channels.models import IngestRecord
from deadlines.models import Deadline
from tests.factories import CaseFactory, CategoryFactory, UserFactory

from .conftest import FROZEN_AT, NOVOKUZNETSK, received, token_client

URL = "/api/v1/ingest/"


def test_a_new_item_is_201_with_the_case_and_its_clocks(api, item, integration, frozen):
    payload = item(external_id="wall-1_100", received_at=FROZEN_AT.isoformat())
    response = api.post(URL, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get()
    assert body["id"] == case.pk
    assert body["status"] == "new"
    assert (body["kind"], body["channel"]) == ("incident", "vk")
    assert (body["source"], body["external_id"]) == ("integration", "wall-1_100")
    assert body["municipality"] == "mzh"
    assert re.fullmatch(r"[^-]+-26-\d{6}", body["registration_number"])
    assert body["registration_number"] == case.registration_number
    # DESIGN §4: an incident starts its first-reply and answer clocks on registration,
    # from the time of receipt, on the municipality's calendar (Friday 16:30 in
    # Новокузнецк: the README's example term, 480 working minutes → Tuesday 16:00).
    clocks = {c["stage"]: c for c in body["clocks"]}
    assert set(clocks) == {"first_reply", "answer"}
    assert {c["state"] for c in clocks.values()} == {"running"}
    answer_due = dt.datetime.fromisoformat(clocks["answer"]["due_at"])
    assert answer_due == dt.datetime(2026, 5, 12, 16, 0, tzinfo=NOVOKUZNETSK)
    assert dt.datetime.fromisoformat(clocks["first_reply"]["due_at"]) < answer_due
    assert Deadline.objects.filter(case=case).count() == 2
    assert all(d.started_at == case.received_at for d in Deadline.objects.filter(case=case))


def test_the_item_is_stored_structured(api, item, integration):
    payload = item(category_hint="no-such-code")
    assert api.post(URL, payload, format="json").status_code == 201
    case = Case.objects.get()
    assert case.text == payload["text"]
    assert case.received_at == dt.datetime.fromisoformat(payload["received_at"])
    assert case.author_name == "Пётр Жителев"
    assert case.author_url == "https://vk.com/id777"
    assert case.author_contacts == "+7 900 111-22-33, petr@example.org"
    assert case.source_url == payload["url"]
    assert case.address == payload["address"]
    assert str(case.latitude) == "53.686612" and str(case.longitude) == "88.070200"
    assert case.category is None
    record = IngestRecord.objects.get(case=case)
    assert record.integration == integration
    assert record.category_hint == "no-such-code"
    assert record.attachment_urls == payload["attachments"]
    event = CaseEvent.objects.get(case=case)
    assert (event.action, event.actor, event.to_status) == ("register", integration, "new")


def test_the_same_item_delivered_again_is_200_with_the_same_case(api, item):
    payload = item()
    first = api.post(URL, payload, format="json")
    again = api.post(URL, {**payload, "text": "Другой текст той же доставки"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1
    assert IngestRecord.objects.count() == 1
    assert Case.objects.get().text == payload["text"]


def test_the_key_is_source_and_external_id(api, item):
    payload = item(external_id="42")
    assert api.post(URL, payload, format="json").status_code == 201
    other_source = api.post(URL, {**payload, "source": "pos-gateway"}, format="json")
    assert other_source.status_code == 201
    assert sorted(Case.objects.values_list("source", flat=True)) == ["integration", "pos-gateway"]


def test_a_known_category_hint_sets_the_category(api, item):
    category = CategoryFactory(code="waste", name="Вывоз мусора")
    response = api.post(URL, item(category_hint="waste"), format="json")
    assert response.status_code == 201
    assert response.json()["category"] == "waste"
    assert Case.objects.get().category == category
    assert IngestRecord.objects.get().category_hint == "waste"


@pytest.mark.parametrize(
    ("channel", "kind"),
    [
        ("vk", "incident"),
        ("telegram", "incident"),
        ("official_comment", "incident"),
        ("pos", "pos"),
        ("email", "appeal"),
        ("letter", "appeal"),
        ("e_reception", "appeal"),
        ("visit", "appeal"),
        ("phone", "hotline"),
    ],
)
def test_the_kind_follows_from_the_channel(api, item, channel, kind):
    response = api.post(URL, item(channel=channel), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == kind
    explicit = api.post(URL, item(channel=channel, kind=kind), format="json")
    assert explicit.status_code == 201


def test_a_received_time_a_little_ahead_is_accepted(api, item):
    ahead = (timezone.now() + dt.timedelta(minutes=2)).astimezone(NOVOKUZNETSK).isoformat()
    assert api.post(URL, item(received_at=ahead), format="json").status_code == 201


def _future(minutes: int) -> str:
    return (timezone.now() + dt.timedelta(minutes=minutes)).isoformat()


BAD_ITEMS = {
    "naive received_at": ("received_at", {"received_at": "2026-05-08T16:30:00"}),
    "received_at in the future": ("received_at", {"received_at": "FUTURE"}),
    "received_at not a date": ("received_at", {"received_at": "вчера"}),
    "received_at impossible": ("received_at", {"received_at": "2026-13-40T10:00:00+07:00"}),
    "received_at missing": ("received_at", {"received_at": ...}),
    "unknown channel": ("channel", {"channel": "myspace"}),
    "channel missing": ("channel", {"channel": ...}),
    "kind of another channel": ("kind", {"channel": "vk", "kind": "appeal"}),
    "unknown kind": ("kind", {"kind": "rumour"}),
    "empty text": ("text", {"text": ""}),
    "blank text": ("text", {"text": "   \n "}),
    "text missing": ("text", {"text": ...}),
    "text too long": ("text", {"text": "я" * (TEXT_MAX_CHARS + 1)}),
    "external_id missing": ("external_id", {"external_id": ...}),
    "external_id empty": ("external_id", {"external_id": ""}),
    "external_id too long": ("external_id", {"external_id": "x" * 129}),
    "source too long": ("source", {"source": "s" * 65}),
    "only latitude": ("longitude", {"longitude": ...}),
    "only longitude": ("latitude", {"latitude": ...}),
    "latitude out of range": ("latitude", {"latitude": 91}),
    "longitude out of range": ("longitude", {"longitude": -181}),
    "author email": ("author", {"author": {"email": "не почта"}}),
    "author profile not a link": ("author", {"author": {"profile_url": "vk id777"}}),
    "author not an object": ("author", {"author": "Пётр"}),
    "url not a link": ("url", {"url": "vk.com wall"}),
    "attachment not a link": ("attachments", {"attachments": ["фото.jpg"]}),
    "too many attachments": (
        "attachments",
        {"attachments": [f"https://example.org/{i}.jpg" for i in range(ATTACHMENTS_MAX + 1)]},
    ),
    "unknown municipality": ("municipality", {"municipality": "atlantis"}),
}


@pytest.mark.parametrize(("field", "change"), BAD_ITEMS.values(), ids=BAD_ITEMS.keys())
def test_bad_input_is_400_naming_the_field_and_nothing_is_stored(api, item, field, change):
    if change.get("received_at") == "FUTURE":
        change = {"received_at": _future(10)}
    response = api.post(URL, item(**change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not IngestRecord.objects.exists()
    assert not Deadline.objects.exists()


def test_every_bad_field_is_named_at_once(api, item):
    response = api.post(
        URL, item(channel="myspace", text="", received_at="2026-05-08T16:30"), format="json"
    )
    assert response.status_code == 400
    assert {"channel", "text", "received_at"} <= set(response.json())


def test_a_body_that_is_not_json_is_400(api):
    response = api.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_an_oversize_body_is_400_before_it_is_read(api, item):
    response = api.post(URL, item(padding="x" * ITEM_MAX_BYTES), format="json")
    assert response.status_code == 400
    assert "Слишком большой запрос" in response.json()["non_field_errors"][0]
    assert not Case.objects.exists()


def test_another_municipality_is_403_naming_the_field(api, item, world):
    response = api.post(URL, item(municipality=world.mun_other.slug), format="json")
    assert response.status_code == 403
    assert "municipality" in response.json()
    assert not Case.objects.exists()


def test_the_own_municipality_may_be_named(api, item, world):
    response = api.post(URL, item(municipality=world.mun.slug), format="json")
    assert response.status_code == 201


def test_a_key_held_by_another_municipality_is_409_and_shows_nothing_of_it(api, item, world):
    theirs = CaseFactory(municipality=world.mun_other, source="integration", external_id="77")
    response = api.post(URL, item(external_id="77"), format="json")
    assert response.status_code == 409
    assert "external_id" in response.json()
    assert str(theirs.pk) not in response.content.decode()
    assert Case.objects.count() == 1


def test_a_race_lost_at_the_insert_answers_with_the_winner(api, item, world, monkeypatch):
    """The look-up before the INSERT decides nothing: when it misses a case committed
    meanwhile, the unique constraint catches the second INSERT and the savepoint rolls
    back; the answer is the case that won (here the winner is already in the table and
    the look-up is made to miss it once)."""
    from channels import services as ingest_services

    payload = item(external_id="raced")
    winner = case_services.case_register(
        municipality=world.mun,
        kind="incident",
        channel="vk",
        text="Уже загружено",
        source="integration",
        external_id="raced",
    )
    real = ingest_services._Intake.existing
    calls = []

    def misses_once(self, keys):
        calls.append(keys)
        return {} if len(calls) == 1 else real(self, keys)

    monkeypatch.setattr(ingest_services._Intake, "existing", misses_once)
    # full_clean would see the winner too; let it miss it like a concurrent reader does.
    monkeypatch.setattr(
        Case, "validate_constraints", lambda self, exclude=None: None, raising=False
    )
    response = api.post(URL, payload, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == winner.pk
    assert Case.objects.count() == 1
    assert not IngestRecord.objects.exists()


# ---------------------------------------------------------------------------------------
# Who may
# ---------------------------------------------------------------------------------------


def test_anonymous_is_401_asking_for_a_token(client, item, db):
    response = client.post(URL, item(), content_type="application/json")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert not Case.objects.exists()


def test_a_session_is_not_enough(client, world, item):
    client.force_login(world.users["integration"])
    response = client.post(URL, item(), content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "persona", ["curator", "head", "administrator", "executor", "observer", "norole"]
)
def test_other_roles_are_403(world, item, persona):
    response = token_client(world.users[persona]).post(URL, item(), format="json")
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_a_superuser_without_the_integration_role_is_403(world, item):
    root = UserFactory(username="root", role="", is_superuser=True, municipality=world.mun)
    assert token_client(root).post(URL, item(), format="json").status_code == 403


def test_an_inactive_integration_account_is_refused(world, item, integration):
    client = token_client(integration)
    integration.is_active = False
    integration.save()
    assert client.post(URL, item(), format="json").status_code == 401


# ---------------------------------------------------------------------------------------
# Throttle, schema, personal data
# ---------------------------------------------------------------------------------------


def test_over_the_rate_is_429_with_retry_after(api, item, monkeypatch):
    # DRF reads the rates into the class when it is defined: set them there.
    monkeypatch.setattr(IngestThrottle, "THROTTLE_RATES", {"ingest": "2/min"})
    assert api.post(URL, item(), format="json").status_code == 201
    assert api.post(URL, item(), format="json").status_code == 201
    refused = api.post(URL, item(), format="json")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert Case.objects.count() == 2


def test_the_rate_is_per_account(world, item, monkeypatch):
    monkeypatch.setattr(IngestThrottle, "THROTTLE_RATES", {"ingest": "1/min"})
    other = UserFactory(username="pos-gateway", role="integration", municipality=world.mun)
    first = token_client(world.users["integration"])
    assert first.post(URL, item(), format="json").status_code == 201
    assert first.post(URL, item(), format="json").status_code == 429
    assert token_client(other).post(URL, item(), format="json").status_code == 201


def test_the_default_rates_come_from_the_settings():
    assert IngestThrottle.THROTTLE_RATES["ingest"] == "600/min"
    assert IngestThrottle.THROTTLE_RATES["ingest_batch"] == "60/min"


def test_the_ingest_endpoints_are_in_the_openapi_schema(client, world):
    client.force_login(world.users["head"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/ingest/", "/api/v1/ingest/batch/"):
        post = schema["paths"][path]["post"]
        assert {"200", "400", "401", "403", "429"} <= set(post["responses"]), path
        assert post["requestBody"]["content"]["application/json"]["examples"], path
    assert "201" in schema["paths"]["/api/v1/ingest/"]["post"]["responses"]
    item = schema["components"]["schemas"]["IngestItemRequest"]
    assert {"channel", "external_id", "received_at", "text"} <= set(item["required"])


def test_personal_data_is_neither_answered_nor_logged(api, item, caplog):
    caplog.set_level(logging.DEBUG)
    payload = item()
    ok = api.post(URL, payload, format="json")
    bad = api.post(URL, {**item(text=""), "author": payload["author"]}, format="json")
    assert (ok.status_code, bad.status_code) == (201, 400)
    secrets = ["Пётр Жителев", "id777", "111-22-33", "petr@example.org"]
    for secret in secrets:
        assert secret not in ok.content.decode()
        assert secret not in caplog.text


def test_received_time_keeps_its_instant(api, item):
    at = received(hours_ago=30)
    response = api.post(URL, item(received_at=at), format="json")
    assert response.status_code == 201
    assert dt.datetime.fromisoformat(response.json()["received_at"]) == dt.datetime.fromisoformat(
        at
    )
