"""``mcu.bulk.rows_insert``: COPY on PostgreSQL writes what ``bulk_create`` writes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, CaseEvent
from channels.models import IngestRecord
from deadlines.models import Deadline, DeadlinePolicy
from mcu.bulk import COPY_FROM_ROWS, rows_insert
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def _events(case, n, at):
    return [
        CaseEvent(
            case=case,
            action="register",
            actor=None,
            to_status="new",
            reason="Пётр «Жителев»\tтаб\nстрока \\ обратная",
            payload={"kind": "incident", "n": i, "вложено": {"список": [1, None, "ё"]}},
            at=at + timedelta(seconds=i),
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [3, COPY_FROM_ROWS + 10])
def test_rows_come_back_saved_with_their_keys_and_read_back_as_written(world, n):
    case = CaseFactory(municipality=world.mun)
    at = timezone.now().replace(microsecond=123456)
    written = rows_insert(CaseEvent, _events(case, n, at))
    assert len(written) == n
    assert all(e.pk is not None and not e._state.adding for e in written)
    assert len({e.pk for e in written}) == n
    read = {e.pk: e for e in CaseEvent.objects.filter(case=case)}
    assert set(read) == {e.pk for e in written}
    for e in written:
        back = read[e.pk]
        assert back.at == e.at  # microseconds and the zone kept
        assert back.payload == e.payload  # nested JSON with Cyrillic and a null
        assert back.reason == e.reason  # tabs, newlines and backslashes survive COPY's text
        assert back.actor_id is None


def test_stamps_json_lists_nulls_and_decimals(world):
    n = COPY_FROM_ROWS
    cases = [
        CaseFactory(municipality=world.mun, latitude=Decimal("53.686123"), longitude=None)
        for _ in range(2)
    ]
    before = timezone.now()
    records = rows_insert(
        IngestRecord,
        [
            IngestRecord(
                case=cases[i % 2] if i < 2 else CaseFactory(municipality=world.mun),
                integration=world.users["integration"],
                category_hint="",
                attachment_urls=[f"https://vk.com/photo{i}.jpg"] if i % 2 else [],
            )
            for i in range(n)
        ],
    )
    for record in records:
        back = IngestRecord.objects.get(pk=record.pk)
        assert back.created_at >= before  # auto_now_add ran
        assert back.attachment_urls == record.attachment_urls
    assert Case.objects.get(pk=cases[0].pk).latitude == Decimal("53.686123")


def test_clocks_on_postgresql_go_in_by_copy_not_insert(world):
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's; elsewhere rows_insert is bulk_create")
    policy = DeadlinePolicy.objects.first()
    cases = [CaseFactory(municipality=world.mun) for _ in range(COPY_FROM_ROWS)]
    now = timezone.now()
    clocks = [
        Deadline(
            case=c,
            stage="answer",
            policy=policy,
            started_at=now,
            due_at=now,
            municipality_id=c.municipality_id,
        )
        for c in cases
    ]
    with CaptureQueriesContext(connection) as queries:
        rows_insert(Deadline, clocks)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert Deadline.objects.filter(pk__in=[c.pk for c in clocks]).count() == len(cases)


def test_a_taken_key_is_djangos_integrity_error_as_from_an_insert(world):
    """The ingest reads an IntegrityError as «a racing delivery won» (channels.services)."""
    taken = CaseFactory(municipality=world.mun, source="vk-im", external_id="post-1")
    clones = [
        Case(
            municipality=world.mun,
            kind="incident",
            channel="vk",
            text="Копия",
            received_at=taken.received_at,
            source="vk-im",
            external_id="post-1" if i == COPY_FROM_ROWS - 1 else f"post-new-{i}",
        )
        for i in range(COPY_FROM_ROWS)
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(Case, clones)
    assert Case.objects.filter(source="vk-im").count() == 1
