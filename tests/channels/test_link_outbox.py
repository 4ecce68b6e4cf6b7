"""Duplicate linking goes through an outbox (channels.LinkRequest): an item is stored
when the broker is down at enqueue, and the beat sweep links it later (issue #8: «An
item is stored and its clocks start even when the broker is down; whatever needed the
broker runs when it is back … Nothing is lost»)."""

import pytest
from kombu.exceptions import OperationalError as BrokerDown

from cases.models import Case, CaseEvent
from channels import tasks
from channels.clusters import link_request_run
from channels.models import ClusterMembership, LinkRequest, ProblemCluster

URL = "/api/v1/ingest/"
BATCH_URL = "/api/v1/ingest/batch/"


@pytest.fixture
def broker_down(monkeypatch):
    calls = []

    def down(*args, **kwargs):
        calls.append((args, kwargs))
        raise BrokerDown("[Errno 111] Connection refused")

    monkeypatch.setattr(tasks.link_duplicates, "delay", down)
    monkeypatch.setattr(tasks.link_duplicates, "apply_async", down)
    return calls


def _cluster_events():
    return CaseEvent.objects.filter(action="cluster").count()


def test_broker_down_at_ingest_the_item_is_stored_and_beat_links_it(
    api, item, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(URL, item(), format="json")
    with django_capture_on_commit_callbacks(execute=True):
        second = api.post(URL, item(), format="json")
    assert (first.status_code, second.status_code) == (201, 201), second.content
    assert len(broker_down) == 2  # the enqueue was tried, and failed at the broker
    assert Case.objects.count() == 2
    assert not ClusterMembership.objects.exists()
    assert LinkRequest.objects.filter(done_at__isnull=True).count() == 2

    assert tasks.link_pending() == 2  # the beat sweep (mcu/celery.py)
    cluster = ProblemCluster.objects.get()
    assert set(cluster.memberships.values_list("case_id", flat=True)) == {
        first.json()["id"],
        second.json()["id"],
    }
    assert not LinkRequest.objects.filter(done_at__isnull=True).exists()
    events = _cluster_events()
    assert tasks.link_pending() == 0  # done once
    assert ProblemCluster.objects.count() == 1 and _cluster_events() == events


def test_broker_down_at_a_batch_one_outbox_row_for_the_batch(
    api, item, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(BATCH_URL, {"items": [item(), item(), item()]}, format="json")
    assert response.status_code == 200, response.content
    assert [r["status"] for r in response.json()["results"]] == ["created"] * 3
    request = LinkRequest.objects.get()
    assert sorted(request.case_ids) == sorted(Case.objects.values_list("pk", flat=True))
    assert not ClusterMembership.objects.exists()
    assert tasks.link_pending() == 1
    assert ClusterMembership.objects.count() == 3
    assert ProblemCluster.objects.count() == 1


def test_with_the_broker_up_the_worker_links_at_once(api, item, django_capture_on_commit_callbacks):
    # The test settings run tasks eagerly: the enqueue after the commit is the worker.
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert api.post(URL, item(), format="json").status_code == 201
    assert ProblemCluster.objects.count() == 1
    assert not LinkRequest.objects.filter(done_at__isnull=True).exists()
    assert tasks.link_pending() == 0


def test_a_request_run_twice_links_nothing_twice(
    api, item, broker_down, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            api.post(URL, item(), format="json")
    first, second = LinkRequest.objects.order_by("pk")
    assert link_request_run(request_id=second.pk) == {"repeat": 0, "cluster": 1}
    assert link_request_run(request_id=second.pk) is None  # already done
    # A redelivered copy of a finished request, or a request over linked cases: no-op.
    LinkRequest.objects.filter(pk=second.pk).update(done_at=None, started_at=None)
    assert link_request_run(request_id=second.pk) == {"repeat": 0, "cluster": 0}
    assert ClusterMembership.objects.count() == 2
    assert link_request_run(request_id=first.pk) == {"repeat": 0, "cluster": 0}


def test_a_rolled_back_registration_leaves_no_outbox_row(api, item):
    # A bad item stores nothing: neither the case nor the promise to link it.
    assert api.post(URL, item(text=""), format="json").status_code == 400
    assert not LinkRequest.objects.exists()


def test_the_sweep_is_in_the_beat_schedule():
    from mcu.celery import app

    assert "channels.link_pending" in {e["task"] for e in app.conf.beat_schedule.values()}


def test_the_sweep_deletes_requests_done_long_ago(db, frozen):
    import datetime as dt

    from django.utils import timezone

    from channels.clusters import LINK_KEEP, link_requests_pending_run

    now = timezone.now()
    old = LinkRequest.objects.create(case_ids=[], done_at=now - LINK_KEEP - dt.timedelta(hours=1))
    recent = LinkRequest.objects.create(case_ids=[], done_at=now - dt.timedelta(hours=1))
    pending = LinkRequest.objects.create(case_ids=[])
    assert link_requests_pending_run(now=now) == 1  # the pending one, run
    assert not LinkRequest.objects.filter(pk=old.pk).exists()
    assert LinkRequest.objects.filter(pk__in=[recent.pk, pending.pk]).count() == 2


def test_a_manual_registration_goes_through_the_outbox_too(
    world, broker_down, django_capture_on_commit_callbacks
):
    from cases.services import case_register_by_staff

    admin = world.users["head"]  # registers every kind (a hotline call here)
    text = "Во дворе дома 5 по ул. Кузнецкой третий день не вывозят мусор"
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            case_register_by_staff(
                actor=admin,
                kind="hotline",
                channel="phone",
                text=text,
                author_name="Пётр Жителев",
                address="ул. Кузнецкая, 5",
            )
    assert Case.objects.count() == 2 and not ClusterMembership.objects.exists()
    assert tasks.link_pending() == 2
    assert ClusterMembership.objects.count() == 2
