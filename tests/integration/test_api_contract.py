"""The API keeps its published contract: schemathesis over every operation of the OpenAPI
schema, against the desk under gunicorn, with a fixed budget (issue: «47 schemathesis
failures … run schemathesis in CI on every endpoint with a fixed budget: no 5xx and no
contract failure»).

Checks: no 5xx (``not_a_server_error``), every answer matches its documented schema
(``response_schema_conformance``) and status (``status_code_conformance``). Three passes:
an administrator's token over everything but the ingest and Open311 (this file), the
integration account's over the ingest (the only account that may ingest) and an Open311
client's key (scope «open311», sent as the ``api_key`` query parameter of the GeoReport
spec through schemathesis's ``[auth.openapi.open311ApiKey]`` configuration) over
``/open311/v2/…`` (test_api_contract_channels.py, on another worker at the same time). Any
failure fails the test with schemathesis's report, which names the request to replay.

Budget and desk: tests/integration/contract.py. The database is a file SQLite in
``tmp_path``, seeded by ``tests/integration/seed_small.py``.
"""

from __future__ import annotations

import pytest

from tests.integration import contract

pytestmark = pytest.mark.integration

desk = pytest.fixture(scope="module")(contract.contract_desk)


def test_every_staff_operation_keeps_its_contract(desk):
    base, seeded, tmp = desk
    token = seeded["tokens"]["administrator"]
    operations = contract.schema_operations(base, token)
    assert operations["all"] > 20 and operations["ingest"] >= 2 and operations["open311"] >= 4
    staff = contract.run(
        base,
        token,
        share=0.55,
        path_filter=["--exclude-path-regex", f"{contract.INGEST}|{contract.OPEN311}"],
        tmp=tmp,
    )
    # Every operation but the channels' was selected and tried; the channels' file tries
    # theirs, so each operation of the schema is tried by one of the two.
    expected = operations["all"] - operations["ingest"] - operations["open311"]
    assert contract.tested(staff) == expected, (staff[-2000:], operations)
