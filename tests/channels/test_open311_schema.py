"""The OpenAPI schema describes Open311's answers as they are (schemathesis checks the
responses against it: tests/integration/test_api_contract_channels.py)."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def paths():
    return SchemaGenerator().get_schema(request=None, public=True)["paths"]


OPERATIONS = [
    ("/open311/v2/services.json", "get"),
    ("/open311/v2/services/{service_code}.json", "get"),
    ("/open311/v2/requests.json", "get"),
    ("/open311/v2/requests.json", "post"),
    ("/open311/v2/requests/{service_request_id}.json", "get"),
]


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_georeport_errors_are_documented_as_a_list(paths, path, method):
    responses = paths[path][method]["responses"]
    for code in ("400", "403", "404", "429"):
        schema = responses[code]["content"]["application/json"]["schema"]
        assert schema["type"] == "array", (path, code)
        assert schema["items"]["required"] == ["code", "description"]
        for example in responses[code]["content"]["application/json"]["examples"].values():
            assert isinstance(example["value"], list) and "code" in example["value"][0]


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_list_examples_are_lists_of_objects_not_of_lists(paths, path, method):
    for code, response in paths[path][method]["responses"].items():
        if not code.startswith("2"):
            continue
        for example in response["content"]["application/json"].get("examples", {}).values():
            value = example["value"]
            if isinstance(value, list):
                assert all(isinstance(item, dict) for item in value), (path, code, value)


@pytest.mark.parametrize(("path", "method"), [op for op in OPERATIONS if op[1] == "get"])
def test_a_request_line_too_long_for_the_http_server_is_documented(paths, path, method):
    # gunicorn answers 414 before Django sees the request (schemathesis ST103 found it
    # with a long ``service_request_id``).
    assert "414" in paths[path][method]["responses"]
