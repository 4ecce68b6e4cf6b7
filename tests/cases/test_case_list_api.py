"""GET /api/v1/cases/: pagination, filters, fields, personal data by role."""

import datetime as dt
import zoneinfo

import pytest

from tests.factories import CaseFactory, CategoryFactory, DistrictFactory, api_key_for


@pytest.fixture
def api(client, world):
    client.force_login(world.users["curator"])
    return client


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_list_is_paginated_with_count_next_and_page_size_up_to_500(api, world):
    CaseFactory.create_batch(7, municipality=world.mun)
    body = api.get("/api/v1/cases/", {"page_size": 3}).json()
    assert body["count"] == 7
    assert len(body["results"]) == 3
    assert "page=2" in body["next"]
    body = api.get("/api/v1/cases/", {"page_size": 10_000}).json()
    assert len(body["results"]) == 7  # capped at 500, not an error


def test_case_shows_its_organization_id(api, world):
    case = CaseFactory(municipality=world.mun, organisation=world.org)
    row = api.get(f"/api/v1/cases/{case.pk}/").json()
    assert row["organization"] == world.org.pk
    assert row["municipality"] == "mzh"


@pytest.mark.parametrize(
    ("param", "value_of", "expected"),
    [
        ("organization", lambda w, o: o["org"].pk, {"a"}),
        ("kind", lambda w, o: "pos", {"b"}),
        ("channel", lambda w, o: "pos", {"b"}),
        ("status", lambda w, o: "assigned", {"a"}),
        ("district", lambda w, o: o["district"].pk, {"b"}),
        ("category", lambda w, o: o["sector"].pk, {"a"}),  # a sector finds its subtree
        ("received_after", lambda w, o: "2026-03-02", {"b"}),
        ("received_before", lambda w, o: "2026-03-01", {"a"}),
    ],
)
def test_list_filters(api, world, param, value_of, expected):
    sector = CategoryFactory(code="roads", name="Дороги")
    sub = CategoryFactory(code="potholes", name="Ямы", parent=sector)
    district = DistrictFactory(municipality=world.mun)
    objs = {"org": world.org, "sector": sector, "district": district}
    made = {
        "a": CaseFactory(
            municipality=world.mun,
            organisation=world.org,
            status="assigned",
            category=sub,
            received_at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
        ),
        "b": CaseFactory(
            municipality=world.mun,
            kind="pos",
            channel="pos",
            district=district,
            received_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
        ),
    }
    ids = _ids(api.get("/api/v1/cases/", {param: value_of(world, objs)}))
    assert ids == {made[k].pk for k in expected}


def test_received_dates_are_read_in_the_municipality_zone(api, world):
    # 2026-03-01 20:00 UTC is already 2 March in Новокузнецк (UTC+7).
    case = CaseFactory(
        municipality=world.mun, received_at=dt.datetime(2026, 3, 1, 20, tzinfo=dt.UTC)
    )
    assert _ids(api.get("/api/v1/cases/", {"received_after": "2026-03-02"})) == {case.pk}


def test_municipality_filter_takes_a_slug(client, world):
    client.force_login(world.users["observer"])
    here = CaseFactory(municipality=world.mun)
    CaseFactory(municipality=world.mun_same_region)
    assert _ids(client.get("/api/v1/cases/", {"municipality": "mzh"})) == {here.pk}


@pytest.mark.parametrize("query", ["ЁЛКА", "елка", "Ёлка у", "ёЛкА"])
def test_search_ignores_case_and_yo(api, world, query):
    from cases.services import case_register

    case = case_register(
        municipality=world.mun, kind="incident", channel="vk", text="Упала ёлка у дома 5"
    )
    CaseFactory(municipality=world.mun, text="Яма")
    assert _ids(api.get("/api/v1/cases/", {"q": query})) == {case.pk}


def test_bad_filter_value_is_a_400_naming_the_field(api):
    response = api.get("/api/v1/cases/", {"received_after": "вчера"})
    assert response.status_code == 400
    assert "received_after" in response.json()


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("administrator", True),
        ("executor", True),
        ("curator", True),
        ("observer", False),
        ("integration", False),
    ],
)
def test_personal_data_only_for_roles_that_need_it(client, world, persona, sees):
    case = CaseFactory(
        municipality=world.mun,
        organisation=world.org,
        author_name="Анна Смирнова",
        author_contacts="+7 900 000-00-00",
    )
    client.force_login(world.users[persona])
    row = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert ("author_name" in row) is sees
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert ("Анна Смирнова" in page) is sees


def test_token_authentication(client, world):
    key = api_key_for(world.users["integration"])
    CaseFactory(municipality=world.mun)
    response = client.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_list_query_count_does_not_grow_with_rows(api, world, django_assert_max_num_queries):
    CaseFactory.create_batch(30, municipality=world.mun, organisation=world.org)
    with django_assert_max_num_queries(8):
        api.get("/api/v1/cases/", {"page_size": 100})


def test_a_token_client_reads_dates_in_its_municipality_zone(client, world):
    """Token authentication runs after the middleware: the zone must still be the
    municipality's, not the server default (2026-03-01 20:00 UTC is 2 March in Новокузнецк)."""
    key = api_key_for(world.users["integration"])
    case = CaseFactory(
        municipality=world.mun, received_at=dt.datetime(2026, 3, 1, 20, tzinfo=dt.UTC)
    )
    response = client.get(
        "/api/v1/cases/", {"received_after": "2026-03-02"}, HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert _ids(response) == {case.pk}


def test_a_missing_or_bad_token_is_a_401_that_names_the_scheme(client, world):
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    response = client.get("/api/v1/cases/", HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_observer_dates_are_each_case_s_own_municipality_s(client, world):
    """An observer works in no municipality (Moscow, the default zone, is active for
    them); the dates filter in each case's municipality's zone, as the analytics count
    their periods. 01.03 20:30 UTC is 02.03 03:30 in Междуреченск (UTC+7) but still 01.03
    (23:30) in Moscow; 02.03 16:30 UTC is 23:30 there, 17:30 UTC past its midnight."""
    other_zone = world.mun_other
    assert world.mun.timezone == "Asia/Novokuznetsk" != other_zone.timezone
    late = CaseFactory(
        municipality=world.mun, received_at=dt.datetime(2026, 3, 1, 20, 30, tzinfo=dt.UTC)
    )
    last = CaseFactory(
        municipality=world.mun, received_at=dt.datetime(2026, 3, 2, 16, 30, tzinfo=dt.UTC)
    )
    past = CaseFactory(
        municipality=world.mun, received_at=dt.datetime(2026, 3, 2, 17, 30, tzinfo=dt.UTC)
    )
    client.force_login(world.users["observer"])
    day = {"received_after": "2026-03-02", "received_before": "2026-03-02"}
    assert _ids(client.get("/api/v1/cases/", day)) == {late.pk, last.pk}
    assert _ids(client.get("/api/v1/cases/", {"received_after": "2026-03-03"})) == {past.pk}
    assert _ids(client.get("/api/v1/cases/", {"received_before": "2026-03-01"})) == set()


def test_dates_across_zones_for_a_superuser(client, world, django_user_model):
    """Municipalities of two zones in one list: each case by its own local midnight."""
    other = world.mun_other
    other_zone = zoneinfo.ZoneInfo(other.timezone)
    here = CaseFactory(
        municipality=world.mun,
        received_at=dt.datetime(2026, 3, 2, 0, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Novokuznetsk")),
    )
    there = CaseFactory(
        municipality=other, received_at=dt.datetime(2026, 3, 2, 0, 10, tzinfo=other_zone)
    )
    CaseFactory(municipality=other, received_at=dt.datetime(2026, 3, 1, 23, 50, tzinfo=other_zone))
    admin = django_user_model.objects.create_superuser("root-tz", password="x")
    client.force_login(admin)
    got = _ids(client.get("/api/v1/cases/", {"received_after": "2026-03-02"}))
    assert got == {here.pk, there.pk}
