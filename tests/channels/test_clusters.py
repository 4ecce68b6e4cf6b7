"""Duplicates, repeats and problem clusters (one pothole, forty posts).

The same data and the same expected links on SQLite (rapidfuzz) and on PostgreSQL
(pg_trgm ``similarity()``): run this file with ``DATABASE_URL=postgres://…`` too.
"""

import datetime as dt

import pytest
from django.db import connection

from analytics.indicators import repeated_cases  # noqa: F401  (the field it counts)
from cases import services
from cases.models import Answer, Case, CaseEvent
from channels.clusters import (
    case_link_duplicates,
    cases_link_duplicates,
    cluster_answer,
    cluster_confirm,
    cluster_remove,
)
from channels.models import ClusterMembership, ProblemCluster
from channels.similarity import scored
from deadlines.models import Deadline
from mcu.exceptions import NotAllowed, NotFound, StateConflict
from tests.factories import CategoryFactory, DistrictFactory

from .conftest import FROZEN_AT

POTHOLE = "Огромная яма на дороге у дома 5 по улице Кузнецкой, машины бьют колёса"
POTHOLE_AGAIN = (
    "Огромная яма на дороге у дома 5 по улице Кузнецкой! Машины бьют колеса, сделайте что-нибудь"
)
POTHOLE_OTHER_WORDS = "На Кузнецкой у дома 5 яма на дороге, колёса бьют все машины"
POTHOLE_SHORT = "Яма на дороге, машины бьют колёса, огромная яма"
WASTE_SAME_HOUSE = "Во дворе дома 5 по Кузнецкой третий день не вывозят мусор"
HEATING = "Когда наконец включат отопление в нашем доме? Холодно"
LAMP = "Не горит фонарь у остановки, темно вечером"
ADDRESS = "ул. Кузнецкая, 5"


@pytest.fixture
def clock(frozen):
    return frozen


def register(world, text, *, hours_ago=1.0, author="vk.com/id1", **fields):
    return services.case_register(
        municipality=world.mun,
        kind=fields.pop("kind", "incident"),
        channel=fields.pop("channel", "vk"),
        text=text,
        received_at=FROZEN_AT - dt.timedelta(hours=hours_ago),
        author_url=f"https://{author}" if author else "",
        **fields,
    )


def publish(world, case, text="Яму заделали, спасибо за сигнал."):
    u = world.users
    category = CategoryFactory(code=f"roads-{case.pk}", name="Дороги")
    services.case_assign(
        case.pk, actor=u["administrator"], organisation=world.org, category=category
    )
    services.case_accept(case.pk, actor=u["executor"])
    services.case_submit_answer(case.pk, actor=u["executor"], text=text)
    services.case_approve(case.pk, actor=u["administrator"])
    services.case_publish(case.pk, actor=u["administrator"])
    case.refresh_from_db()
    return case


def cluster_of(case):
    m = ClusterMembership.objects.filter(case=case).select_related("cluster").first()
    return m.cluster if m else None


# -- similarity ---------------------------------------------------------------------------


def test_similarity_orders_the_same_texts_the_same_way_on_either_database(world, clock):
    cases = [
        register(world, t, author=f"vk.com/id{i}")
        for i, t in enumerate(
            [POTHOLE_AGAIN, POTHOLE_OTHER_WORDS, WASTE_SAME_HOUSE, HEATING, LAMP], start=10
        )
    ]
    ranked = scored(Case.objects.filter(pk__in=[c.pk for c in cases]), POTHOLE)
    assert [pk for pk, _s in ranked] == [c.pk for c in cases]
    from channels.similarity import threshold

    above = {pk for pk, s in ranked if s >= threshold("place")}
    assert above == {cases[0].pk, cases[1].pk}, (connection.vendor, ranked)


# -- linking ------------------------------------------------------------------------------


def test_the_same_author_with_near_same_text_is_linked_into_one_cluster(world, clock):
    first = register(world, POTHOLE, hours_ago=30)
    second = register(world, POTHOLE_AGAIN, hours_ago=2)
    assert case_link_duplicates(second) == "cluster"
    cluster = cluster_of(second)
    assert cluster is not None and cluster.primary == first
    assert cluster.status == ProblemCluster.Status.PROPOSED
    reasons = dict(cluster.memberships.values_list("case_id", "reason"))
    assert reasons == {first.pk: "primary", second.pk: "same_author"}
    event = CaseEvent.objects.get(case=second, action="cluster")
    assert event.payload["op"] == "linked" and event.payload["similar_to"] == first.pk
    # Running again links nothing twice.
    assert case_link_duplicates(second) is None
    assert ClusterMembership.objects.filter(cluster=cluster).count() == 2


def test_only_the_most_recent_candidates_of_a_look_up_are_scored(world, clock, monkeypatch):
    """A common name or a busy district has thousands of cases in the window: the
    ``LINK_CANDIDATES`` most recent of each look-up are compared, not all of them."""
    from channels import clusters

    monkeypatch.setattr(clusters, "LINK_CANDIDATES", 2)
    near = register(world, POTHOLE, hours_ago=30)  # the same topic, but the oldest
    for hours in (20, 10):
        register(world, HEATING, hours_ago=hours)
    new = register(world, POTHOLE_AGAIN, hours_ago=2)
    assert case_link_duplicates(new) is None  # «near» is the third most recent
    monkeypatch.setattr(clusters, "LINK_CANDIDATES", 3)
    assert case_link_duplicates(new) == "cluster"
    assert cluster_of(new).primary == near


def test_the_same_author_writing_about_something_else_is_not_linked(world, clock):
    register(world, POTHOLE, hours_ago=30)
    other = register(world, HEATING, hours_ago=2)
    assert case_link_duplicates(other) is None


def test_similar_text_at_the_same_address_joins_the_cluster_and_other_topics_do_not(world, clock):
    first = register(world, POTHOLE, hours_ago=50, address=ADDRESS)
    second = register(world, POTHOLE_AGAIN, hours_ago=40, address=ADDRESS)
    neighbour = register(
        world, POTHOLE_OTHER_WORDS, hours_ago=3, author="vk.com/id2", address=ADDRESS
    )
    waste = register(world, WASTE_SAME_HOUSE, hours_ago=2, author="vk.com/id3", address=ADDRESS)
    counts = cases_link_duplicates([waste.pk, neighbour.pk, second.pk])
    assert counts == {"repeat": 0, "cluster": 2}
    cluster = cluster_of(first)
    assert set(cluster.memberships.values_list("case_id", flat=True)) == {
        first.pk,
        second.pk,
        neighbour.pk,
    }
    assert ClusterMembership.objects.get(case=neighbour).reason == "same_address"
    assert cluster_of(waste) is None


def test_similar_text_in_the_same_district_is_linked_within_the_window_only(world, clock):
    district = DistrictFactory(municipality=world.mun, name="Центральный")
    old = register(world, POTHOLE, hours_ago=24 * 8, author="vk.com/id4", district=district)
    recent = register(world, POTHOLE, hours_ago=24 * 3, author="vk.com/id5", district=district)
    new = register(world, POTHOLE_SHORT, hours_ago=1, author="vk.com/id6", district=district)
    lamp = register(world, LAMP, hours_ago=1, author="vk.com/id7", district=district)
    assert case_link_duplicates(new) == "cluster"
    assert cluster_of(new).primary == recent  # the 8-day-old one is outside the 7 days
    assert ClusterMembership.objects.get(case=new).reason == "same_district"
    assert cluster_of(old) is None
    assert case_link_duplicates(lamp) is None


def test_the_window_is_configurable(world, clock, settings):
    settings.DUPLICATE_WINDOW_DAYS = 1
    register(world, POTHOLE, hours_ago=30)
    second = register(world, POTHOLE_AGAIN, hours_ago=2)
    assert case_link_duplicates(second) is None


def test_writing_again_about_an_answered_case_is_a_repeat_the_analytics_count(world, clock):
    answered = publish(world, register(world, POTHOLE, hours_ago=60))
    again = register(world, POTHOLE_AGAIN, hours_ago=1)
    assert case_link_duplicates(again) == "repeat"
    again.refresh_from_db()
    assert again.repeats == answered
    assert cluster_of(again) is None
    event = CaseEvent.objects.get(case=again, action="repeat")
    assert event.payload["repeats"] == answered.pk
    # analytics.indicators counts «повторные» from this very field.
    assert Case.objects.filter(repeats__isnull=False).get() == again
    # Another resident writing about the answered pothole is not a repeat.
    stranger = register(world, POTHOLE_AGAIN, hours_ago=1, author="vk.com/id99")
    assert case_link_duplicates(stranger) is None


# -- the administrator's decisions ---------------------------------------------------------


@pytest.fixture
def pothole_cluster(world, clock):
    first = register(world, POTHOLE, hours_ago=50, address=ADDRESS)
    members = [
        register(world, POTHOLE_AGAIN, hours_ago=40, address=ADDRESS),
        register(world, POTHOLE_OTHER_WORDS, hours_ago=30, author="vk.com/id2", address=ADDRESS),
        register(world, POTHOLE_OTHER_WORDS, hours_ago=20, author="vk.com/id3", address=ADDRESS),
    ]
    cases_link_duplicates([m.pk for m in members])
    cluster = cluster_of(first)
    assert cluster.memberships.count() == 4
    return cluster, first, members


def test_confirm_and_split_are_the_administrators(world, pothole_cluster):
    cluster, first, members = pothole_cluster
    with pytest.raises(NotAllowed):
        cluster_confirm(cluster.pk, actor=world.users["curator"])
    with pytest.raises(NotFound):
        cluster_confirm(cluster.pk, actor=world.users["curator_other"])
    cluster = cluster_confirm(cluster.pk, actor=world.users["administrator"])
    assert cluster.status == "confirmed" and cluster.confirmed_by == world.users["administrator"]
    assert CaseEvent.objects.filter(action="cluster", payload__op="confirmed").count() == 4
    # Split: the main case taken out, the earliest remaining post becomes the main one.
    cluster = cluster_remove(cluster.pk, actor=world.users["administrator"], case_ids=[first.pk])
    assert cluster.primary == members[0]
    assert cluster_of(first) is None
    assert ClusterMembership.objects.get(case=members[0]).reason == "primary"
    # Down to one post: the cluster is dissolved.
    assert (
        cluster_remove(
            cluster.pk, actor=world.users["administrator"], case_ids=[m.pk for m in members[1:]]
        )
        is None
    )
    assert not ProblemCluster.objects.filter(pk=cluster.pk).exists()


def test_the_cluster_is_answered_once_and_every_post_gets_it_with_clocks_met(
    world, pothole_cluster
):
    cluster, first, members = pothole_cluster
    admin = world.users["administrator"]
    with pytest.raises(StateConflict):
        cluster_answer(cluster.pk, actor=admin)  # not confirmed yet
    cluster_confirm(cluster.pk, actor=admin)
    with pytest.raises(StateConflict):
        cluster_answer(cluster.pk, actor=admin)  # the main case has no published answer
    publish(world, first, text="Яму на Кузнецкой, 5 заделали 8 мая.")
    result = cluster_answer(cluster.pk, actor=admin)
    assert sorted(result["published"]) == sorted(m.pk for m in members)
    assert result["skipped"] == {}
    for member in members:
        member.refresh_from_db()
        assert member.status == "published" and member.published_at is not None
        assert member.organisation == world.org  # routed where the work was done
        answer = Answer.objects.get(case=member)
        assert (answer.status, answer.text) == ("published", "Яму на Кузнецкой, 5 заделали 8 мая.")
        assert CaseEvent.objects.filter(case=member, action="cluster_answer").count() == 1
        clocks = {d.stage: d for d in Deadline.objects.filter(case=member)}
        assert clocks["first_reply"].met_at is not None and clocks["answer"].met_at is not None
        assert clocks["reaction"].met_at is None and clocks["reaction"].cancelled_at is None
    # Answering again publishes nothing twice.
    assert cluster_answer(cluster.pk, actor=admin)["published"] == []


def test_the_card_confirms_splits_and_answers_the_cluster(client, world, pothole_cluster):
    cluster, first, members = pothole_cluster
    client.force_login(world.users["administrator"])
    page = client.get(f"/cases/{members[0].pk}/").content.decode()
    assert 'data-testid="cluster-members"' in page and "Подтвердить" in page
    response = client.post(f"/channels/clusters/{cluster.pk}/confirm/", {"case": members[0].pk})
    assert response.status_code == 302 and response["Location"] == f"/cases/{members[0].pk}/"
    cluster.refresh_from_db()
    assert cluster.status == "confirmed"
    client.post(f"/channels/clusters/{cluster.pk}/remove/", {"cases": members[2].pk})
    assert cluster_of(members[2]) is None
    publish(world, first)
    page = client.get(f"/cases/{first.pk}/").content.decode()
    assert "Опубликовать этот ответ всем" in page
    client.post(f"/channels/clusters/{cluster.pk}/answer/", {"case": first.pk})
    assert set(
        Case.objects.filter(pk__in=[m.pk for m in members]).values_list("status", flat=True)
    ) == {
        "published",
        "new",
    }
    # The executor sees the main case, and still may not split its cluster.
    client.force_login(world.users["executor"])
    client.post(f"/channels/clusters/{cluster.pk}/remove/", {"cases": members[0].pk})
    assert cluster_of(members[0]) == cluster
