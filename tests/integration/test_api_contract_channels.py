"""The API contract (test_api_contract.py) of the channels' operations: the ingest with
the integration account's token (the only account that may ingest), ``/open311/v2/…``
with an Open311 client's key (scope «open311», sent as the ``api_key`` query parameter of
the GeoReport spec through schemathesis's ``[auth.openapi.open311ApiKey]``
configuration). A file of its own, so it runs on another xdist worker beside the staff
pass; the same checks and budget shares as one test had (tests/integration/contract.py).
"""

from __future__ import annotations

import pytest

from tests.integration import contract

pytestmark = pytest.mark.integration

desk = pytest.fixture(scope="module")(contract.contract_desk)


def test_every_channel_operation_keeps_its_contract(desk):
    base, seeded, tmp = desk
    operations = contract.schema_operations(base, seeded["tokens"]["administrator"])
    assert operations["ingest"] >= 2 and operations["open311"] >= 4, operations
    integration = contract.run(
        base,
        seeded["tokens"]["integration"],
        share=0.25,
        path_filter=["--include-path-regex", contract.INGEST],
        tmp=tmp,
    )
    georeport = contract.run(
        base,
        "",
        share=0.2,
        path_filter=["--include-path-regex", contract.OPEN311],
        tmp=tmp,
        open311_key=seeded["tokens"]["open311"],
    )
    # Every operation of the two was selected and tried (a filter that matched nothing
    # would pass).
    assert contract.tested(integration) == operations["ingest"], integration[-2000:]
    assert contract.tested(georeport) == operations["open311"], georeport[-2000:]
