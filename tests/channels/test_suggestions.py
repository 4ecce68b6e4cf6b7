"""Routing suggestions: learned from the municipality's own routed history, with the
auto-rules and the most frequent pairs as the fallback; shown on the card with their
confidence and applied with one click (the moderation action, pre-filled)."""

import itertools
import re

import pytest

from cases.models import Case
from channels.models import AutoRule, RoutingModel
from channels.suggestions import routing_suggest, routing_train
from channels.tasks import train_routing
from tests.factories import CaseFactory, CategoryFactory

TOPICS = {
    "roads": [
        "Яма на дороге у дома {n}, машины бьют колёса",
        "Разбитый асфальт на перекрёстке, ямы по колено, дом {n}",
        "Когда отремонтируют дорогу? Выбоины возле дома {n}",
    ],
    "water": [
        "Нет холодной воды в доме {n} с утра",
        "Прорвало трубу, течёт вода во дворе дома {n}",
        "Опять нет горячей воды, дом {n}, сколько можно",
    ],
    "waste": [
        "Мусор не вывозят четвёртый день, баки у дома {n} переполнены",
        "Свалка старой мебели у контейнеров, дом {n}",
        "Переполнены мусорные контейнеры во дворе дома {n}",
    ],
}


@pytest.fixture
def categories(db):
    return {code: CategoryFactory(code=f"s-{code}", name=code.title()) for code in TOPICS}


@pytest.fixture
def routes(world, categories):
    return {
        "roads": (categories["roads"], world.org),
        "water": (categories["water"], world.org2),
        "waste": (categories["waste"], world.org),
    }


def history(world, routes, per_topic=20):
    counter = itertools.count(1)
    for topic, texts in TOPICS.items():
        category, org = routes[topic]
        for i in range(per_topic):
            CaseFactory(
                municipality=world.mun,
                status="assigned",
                category=category,
                organisation=org,
                text=texts[i % len(texts)].format(n=next(counter)),
            )


def unrouted(world, text="Глубокая яма на дороге у дома 77, разбил колесо"):
    return CaseFactory(municipality=world.mun, text=text)


def test_a_model_is_trained_per_municipality_and_suggests_the_likely_pair(world, routes):
    history(world, routes)
    model = routing_train(world.mun)
    assert (model.version, model.sample_count, model.label_count) == (1, 60, 3)
    assert len(bytes(model.blob)) > 1000
    suggestions = routing_suggest(unrouted(world))
    assert suggestions[0].source == "model"
    assert (suggestions[0].category, suggestions[0].organisation) == routes["roads"]
    assert 0 < suggestions[0].confidence <= 1
    assert [s.confidence for s in suggestions] == sorted(
        (s.confidence for s in suggestions), reverse=True
    )
    water = routing_suggest(unrouted(world, "Третий день нет воды в кране, дом 9"))
    assert (water[0].category, water[0].organisation) == routes["water"]
    # Retraining replaces the model and bumps its version; the other municipality has none.
    assert routing_train(world.mun).version == 2
    assert RoutingModel.objects.count() == 1


def test_too_little_history_falls_back_to_rules_then_frequent_pairs(world, routes, settings):
    settings.ROUTING_MIN_SAMPLES = 1000
    history(world, routes, per_topic=3)
    assert routing_train(world.mun) is None
    suggestions = routing_suggest(unrouted(world, "Вопрос о благоустройстве"))
    assert {s.source for s in suggestions} == {"frequent"}
    assert len(suggestions) == 3
    assert sum(s.confidence for s in suggestions) == pytest.approx(1.0)
    roads, _org = routes["roads"]
    AutoRule.objects.create(
        municipality=world.mun,
        name="Ямы",
        keywords="яма",
        set_category=roads,
        set_organisation=world.org2,
    )
    suggestions = routing_suggest(unrouted(world))
    assert suggestions[0].source == "rule"
    assert (suggestions[0].category, suggestions[0].organisation) == (roads, world.org2)
    assert suggestions[0].why == "Ямы"


def test_the_beat_task_trains_every_municipality_it_can(world, routes):
    history(world, routes)
    result = train_routing()
    assert result["trained"] == 1 and result["failed"] == 0
    assert result["skipped"] >= 2


def test_the_card_shows_the_suggestions_to_the_administrator_and_applies_one_in_a_click(
    client, world, routes
):
    history(world, routes)
    routing_train(world.mun)
    case = unrouted(world)
    case.address = "ул. Кузнецкая, 5"
    case.save()
    client.force_login(world.users["administrator"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="suggestions"' in page
    assert re.search(r"\d+%", page)
    # The first suggestion's form, as the browser would post it.
    form = page[page.index('data-testid="suggestions"') :]
    form = form[form.index("<form") : form.index("</form>")]
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    response = client.post(f"/cases/{case.pk}/do/assign/", fields)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "assigned"
    assert (case.category, case.organisation) == routes["roads"]
    assert case.address == "ул. Кузнецкая, 5"  # the hidden fields keep what was there


@pytest.mark.parametrize("persona", ["executor", "observer", "curator"])
def test_no_routing_panel_for_those_who_do_not_moderate(client, world, routes, persona):
    history(world, routes)
    case = unrouted(world)
    if persona == "executor":
        Case.objects.filter(pk=case.pk).update(organisation=world.org, status="assigned")
    client.force_login(world.users[persona])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="routing-panel"' not in page
