"""What schemathesis found, each pinned by a fast test (tests/integration/test_api_contract.py
runs schemathesis itself): refusals documented, nullable fields declared, no "" for a URI,
the journal documented as the plain list it is, JSON 404 for a non-integer id, garbage
refused for a boolean filter."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories import CaseFactory


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def api(client, world):
    client.force_login(world.users["curator"])
    return client


def test_every_operation_documents_its_refusals(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method == "post":
                assert {"400", "413", "415"} <= codes, (method, path)
    listing = schema["paths"]["/api/v1/cases/"]["get"]["responses"]
    assert {"400", "404"} <= set(listing)  # a bad filter; a page past the last
    action = schema["paths"]["/api/v1/cases/{id}/accept/"]["post"]["responses"]
    assert "409" in action


def test_the_journal_is_documented_as_the_plain_list_it_returns(schema, api, world):
    events = schema["paths"]["/api/v1/cases/{id}/events/"]["get"]
    assert events["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert not [p for p in events.get("parameters", []) if p["in"] == "query"]
    case = CaseFactory(municipality=world.mun)
    assert isinstance(api.get(f"/api/v1/cases/{case.pk}/events/").json(), list)


def test_missing_links_and_relations_are_null_and_declared_nullable(schema, api, world):
    props = schema["components"]["schemas"]["Case"]["properties"]
    for field in ("source_url", "author_url", "organization", "organization_name"):
        assert props[field].get("nullable") is True, field
    case = CaseFactory(municipality=world.mun, source_url="", author_url="", organisation=None)
    row = api.get(f"/api/v1/cases/{case.pk}/").json()
    assert row["source_url"] is None
    assert row["author_url"] is None
    assert row["organization"] is None
    assert row["organization_name"] is None
    case = CaseFactory(municipality=world.mun, source_url="https://vk.com/wall-1_2")
    assert api.get(f"/api/v1/cases/{case.pk}/").json()["source_url"] == "https://vk.com/wall-1_2"


@pytest.mark.parametrize("url", ["/api/v1/cases/abc/", "/api/v1/cases/abc/events/"])
def test_a_non_integer_id_is_a_json_404(api, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


@pytest.mark.parametrize("flag", ["overdue", "fast_track", "due_today", "at_risk"])
def test_garbage_for_a_boolean_filter_is_a_400_naming_it(api, flag):
    response = api.get("/api/v1/cases/", {flag: "garbage"})
    assert response.status_code == 400
    assert flag in response.json()
    for good in ("true", "false", "1", "0", ""):
        assert api.get("/api/v1/cases/", {flag: good}).status_code == 200, good


def test_the_case_list_page_ignores_a_garbage_boolean(api):
    # The page shows the list unfiltered rather than an error page.
    assert api.get("/cases/", {"overdue": "garbage"}).status_code == 200
