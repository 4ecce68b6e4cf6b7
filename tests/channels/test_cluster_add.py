"""The administrator adds a post to an existing problem cluster by hand (from the card
of a member or of the post itself), audited with a «cluster» event; the cluster's answer
reaches every member with its attachments."""

import pytest

from cases import services
from cases.models import Answer, Attachment, CaseEvent
from channels.clusters import cases_link_duplicates, cluster_add, cluster_answer, cluster_confirm
from channels.models import ClusterMembership
from mcu.exceptions import NotAllowed, NotFound, StateConflict
from tests.cases.conftest import png
from tests.factories import CategoryFactory

from .test_clusters import ADDRESS, HEATING, LAMP, POTHOLE, POTHOLE_AGAIN, cluster_of, register


@pytest.fixture
def clock(frozen):
    return frozen


@pytest.fixture
def cluster(world, clock):
    first = register(world, POTHOLE, hours_ago=50, address=ADDRESS)
    second = register(world, POTHOLE_AGAIN, hours_ago=40, address=ADDRESS)
    cases_link_duplicates([second.pk])
    found = cluster_of(first)
    assert found is not None
    return found, first, second


def test_the_administrator_adds_a_post_the_desk_did_not_link(world, cluster):
    found, _first, _second = cluster
    # Other words, no address: the desk did not link it, the administrator knows better.
    other = register(world, "Когда починят дорогу у пятого дома?", hours_ago=5, author="")
    cases_link_duplicates([other.pk])
    assert cluster_of(other) is None
    admin = world.users["administrator"]
    cluster_add(found.pk, actor=admin, case_id=other.pk)
    membership = ClusterMembership.objects.get(case=other)
    assert (membership.cluster_id, membership.reason) == (found.pk, "manual")
    event = CaseEvent.objects.get(case=other, action="cluster")
    assert event.payload == {"op": "added", "cluster": found.pk}
    assert event.actor == admin
    with pytest.raises(StateConflict):
        cluster_add(found.pk, actor=admin, case_id=other.pk)  # already in it
    assert CaseEvent.objects.filter(case=other, action="cluster").count() == 1


def test_who_and_what_may_be_added(world, cluster):
    found, _first, _second = cluster
    lamp = register(world, LAMP, hours_ago=3, author="vk.com/id9")
    with pytest.raises(NotAllowed):
        cluster_add(found.pk, actor=world.users["curator"], case_id=lamp.pk)
    with pytest.raises(NotFound):
        cluster_add(found.pk, actor=world.users["curator_other"], case_id=lamp.pk)
    with pytest.raises(NotFound):
        cluster_add(10**9, actor=world.users["administrator"], case_id=lamp.pk)
    from tests.factories import CaseFactory

    elsewhere = CaseFactory(municipality=world.mun_other)
    with pytest.raises(NotFound):  # not visible to this administrator
        cluster_add(found.pk, actor=world.users["administrator"], case_id=elsewhere.pk)
    # In another cluster: take it out of that one first.
    register(world, HEATING, hours_ago=4, author="vk.com/id20", address="ул. Ленина, 1")
    heat2 = register(world, HEATING, hours_ago=3, author="vk.com/id20", address="ул. Ленина, 1")
    cases_link_duplicates([heat2.pk])
    assert cluster_of(heat2) is not None
    with pytest.raises(StateConflict):
        cluster_add(found.pk, actor=world.users["administrator"], case_id=heat2.pk)
    assert not ClusterMembership.objects.filter(case=lamp).exists()


def test_an_answered_post_is_not_added(world, cluster):
    found, _first, _second = cluster
    lamp = register(world, LAMP, hours_ago=3, author="vk.com/id9")
    services.case_reject(lamp.pk, actor=world.users["administrator"], reason="Не по теме")
    with pytest.raises(StateConflict):
        cluster_add(found.pk, actor=world.users["administrator"], case_id=lamp.pk)


def test_the_card_adds_from_either_side(client, world, cluster):
    found, first, _second = cluster
    lamp = register(world, LAMP, hours_ago=3, author="vk.com/id9")
    heat = register(world, HEATING, hours_ago=2, author="vk.com/id10")
    client.force_login(world.users["administrator"])
    # The card of a post in no cluster offers the clusters it may join.
    page = client.get(f"/cases/{lamp.pk}/").content.decode()
    assert 'data-testid="cluster-add"' in page and f'value="{found.pk}"' in page
    response = client.post(
        "/channels/clusters/add/", {"cluster": found.pk, "add": lamp.pk, "case": lamp.pk}
    )
    assert response.status_code == 302 and response["Location"] == f"/cases/{lamp.pk}/"
    assert cluster_of(lamp) == found
    # A member's card takes the number of the post to add.
    page = client.get(f"/cases/{first.pk}/").content.decode()
    assert 'name="number"' in page
    response = client.post(
        "/channels/clusters/add/",
        {"cluster": found.pk, "number": heat.registration_number, "case": first.pk},
    )
    assert response["Location"] == f"/cases/{first.pk}/"
    assert cluster_of(heat) == found
    # A number nobody has: a message, nothing changes.
    response = client.post(
        "/channels/clusters/add/",
        {"cluster": found.pk, "number": "НЕТ-1", "case": first.pk},
        follow=True,
    )
    assert "не найдено" in response.content.decode()
    assert found.memberships.count() == 4


def test_the_add_form_speaks_english(client, world, cluster, settings):
    found, first, _second = cluster
    lamp = register(world, LAMP, hours_ago=3, author="vk.com/id9")
    client.force_login(world.users["administrator"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Add to cluster" in client.get(f"/cases/{lamp.pk}/").content.decode()
    page = client.get(f"/cases/{first.pk}/").content.decode()
    assert "Problem cluster: add a case" in page and "Add to this cluster" in page
    response = client.post(
        "/channels/clusters/add/",
        {"cluster": found.pk, "add": lamp.pk, "case": lamp.pk},
        follow=True,
    )
    assert "Case added to the cluster." in response.content.decode()


def test_the_executor_sees_no_add_form_and_may_not_add(client, world, cluster):
    found, _first, _second = cluster
    lamp = register(world, LAMP, hours_ago=3, author="vk.com/id9")
    client.force_login(world.users["executor"])
    client.post("/channels/clusters/add/", {"cluster": found.pk, "add": lamp.pk})
    assert cluster_of(lamp) is None


def test_the_cluster_answer_reaches_every_member_with_its_attachments(world, cluster):
    found, first, second = cluster
    u = world.users
    admin = u["administrator"]
    lamp = register(world, LAMP, hours_ago=3, author="vk.com/id9")
    cluster_add(found.pk, actor=admin, case_id=lamp.pk)
    cluster_confirm(found.pk, actor=admin)
    category = CategoryFactory(code="roads-cluster", name="Дороги")
    services.case_assign(first.pk, actor=admin, organisation=world.org, category=category)
    services.case_accept(first.pk, actor=u["executor"])
    services.case_submit_answer(
        first.pk,
        actor=u["executor"],
        text="Яму заделали, фото приложено.",
        attachments=[png("после.png"), png("акт.png")],
    )
    services.case_approve(first.pk, actor=admin)
    services.case_publish(first.pk, actor=admin)
    source = Answer.objects.get(case=first, status="published")
    originals = list(source.attachments.order_by("id"))
    assert len(originals) == 2
    result = cluster_answer(found.pk, actor=admin)
    assert sorted(result["published"]) == sorted([second.pk, lamp.pk])
    for member in (second, lamp):
        answer = Answer.objects.get(case=member)
        copies = list(answer.attachments.order_by("id"))
        assert [a.original_name for a in copies] == ["после.png", "акт.png"]
        assert [a.file.name for a in copies] == [a.file.name for a in originals]
        assert [a.content_type for a in copies] == ["image/png", "image/png"]
        assert copies[0].file.open("rb").read()[:4] == b"\x89PNG"
    assert Attachment.objects.count() == 6
