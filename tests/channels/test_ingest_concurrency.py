"""The same item delivered several times at once is still one case (DESIGN §5).

The deliveries race in threads, each with its own PostgreSQL connection, released
together by a barrier. What keeps them one case is the unique constraint
``case_unique_external_id``: the losers' INSERTs wait for the winner's commit, fail, roll
back their savepoints and answer with the winner. Skipped on SQLite, which serialises
writers: run with ``DATABASE_URL=postgres://… pytest tests/channels``.
"""

import threading

import pytest
from django.db import connection, connections

from cases.models import Case, CaseEvent
from channels import services as ingest_services
from channels.models import IngestRecord
from deadlines.models import Deadline

from .conftest import token_client

THREADS = 6
N = 200  # enough rows for the two INSERTs to overlap

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent writers: set DATABASE_URL=postgres://… to run it",
)


def _race(user, path: str, payload: dict, n: int = THREADS) -> list:
    """POST ``payload`` from ``n`` threads at once; the responses (or exceptions)."""
    return _race_each(user, path, [payload] * n)


def _race_each(user, path: str, payloads: list[dict]) -> list:
    """POST each payload from its own thread, all at once."""
    n = len(payloads)
    barrier = threading.Barrier(n)
    outcomes: list = [None] * n

    def run(i):
        try:
            client = token_client(user)
            barrier.wait(timeout=10)
            outcomes[i] = client.post(path, payloads[i], format="json")
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.fixture
def blind_lookup(monkeypatch):
    """Make every delivery miss the others in its look-up before the INSERT, so that the
    race is decided at the INSERT itself, by the constraint alone."""
    real = ingest_services._Intake.existing
    seen = threading.local()

    def misses_the_first_time(self, keys):
        if not getattr(seen, "looked", False):
            seen.looked = True
            return {}
        return real(self, keys)

    monkeypatch.setattr(ingest_services._Intake, "existing", misses_the_first_time)


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lookup", ["as is", "blind"])
def test_the_same_item_from_several_threads_is_one_case(world, item, request, lookup):
    if lookup == "blind":
        request.getfixturevalue("blind_lookup")
    payload = item(external_id="race-1")
    outcomes = _race(world.users["integration"], "/api/v1/ingest/", payload)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    codes = sorted(o.status_code for o in outcomes)
    assert codes == [200] * (THREADS - 1) + [201], [o.content for o in outcomes]
    case = Case.objects.get(source="integration", external_id="race-1")
    assert {o.json()["id"] for o in outcomes} == {case.pk}
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert IngestRecord.objects.filter(case=case).count() == 1
    assert Deadline.objects.filter(case=case).count() == 2


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_from_several_threads_make_each_item_one_case(world, item):
    items = [item(external_id=f"batch-race-{i}") for i in range(N)]
    user = world.users["integration"]
    # The same items in opposite orders. Inserted as given, each INSERT would wait for a
    # key the other holds: PostgreSQL's "deadlock detected" (seen before the batch was
    # sorted by key). Sorted, one waits for the other and then answers duplicates.
    payloads = [{"items": items}, {"items": items[::-1]}]
    outcomes = _race_each(user, "/api/v1/ingest/batch/", payloads)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert {o.status_code for o in outcomes} == {200}, [o.content for o in outcomes]
    assert Case.objects.filter(external_id__startswith="batch-race-").count() == N
    first, second = (o.json()["results"] for o in outcomes)
    for a, b in zip(first, second[::-1], strict=True):
        assert a["id"] == b["id"], (a, b)
        assert sorted([a["status"], b["status"]]) == ["created", "duplicate"], (a, b)
    assert CaseEvent.objects.filter(action="register").count() == N
    assert IngestRecord.objects.count() == N


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_from_several_threads_makes_each_item_one_case(world, item):
    items = [item(external_id=f"batch-race-{i}") for i in range(20)]
    outcomes = _race(world.users["integration"], "/api/v1/ingest/batch/", {"items": items}, 4)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert {o.status_code for o in outcomes} == {200}
    assert Case.objects.filter(external_id__startswith="batch-race-").count() == 20
    by_item = list(zip(*(o.json()["results"] for o in outcomes), strict=True))
    for results in by_item:
        assert len({r["id"] for r in results}) == 1, results
        assert sorted(r["status"] for r in results).count("created") == 1, results
    assert CaseEvent.objects.filter(action="register").count() == 20
    assert IngestRecord.objects.count() == 20
