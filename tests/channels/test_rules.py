"""Auto-rules (Ставрополь 3 п. 7: «создание автоправил через ПОС, а также механизмов
ускоренного решения вопросов»): each condition, the order, the actions, the audit trail,
the counters, the safe pattern check; on single and batch ingest and on manual
registration."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, CaseEvent
from channels.models import AutoRule
from channels.rules import RuleSet, regex_check, rules_count_hits
from mcu.models import Notification
from tests.factories import CategoryFactory, DistrictFactory

from .conftest import make_item


def rule(world, **fields):
    fields.setdefault("name", "Правило")
    r = AutoRule(municipality=world.mun, **fields)
    r.full_clean()
    r.save()
    return r


def base_fields(world, **overrides):
    fields = {
        "municipality": world.mun,
        "kind": "incident",
        "channel": "vk",
        "text": "Во дворе яма, машины бьют колёса",
        "address": "ул. Кузнецкая, 5",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def roads(db):
    return CategoryFactory(code="roads", name="Дороги")


# -- each condition --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "hit", "miss"),
    [
        ({"channel": "telegram"}, {"channel": "telegram"}, {"channel": "vk"}),
        ({"kind": "pos", "channel": ""}, {"kind": "pos", "channel": "pos"}, {}),
        ({"keywords": "яма, выбоина"}, {"text": "Огромная ВЫБОИНА у школы"}, {"text": "Мусор"}),
        ({"keywords": "ёлка"}, {"text": "Упала елка на тротуар"}, {"text": "Упал столб"}),
        ({"text_regex": r"\bям[аыу]\b"}, {"text": "Тут ЯМУ залило"}, {"text": "Ямщик едет"}),
        ({"address_contains": "кузнецк"}, {}, {"address": "пр. Мира, 1"}),
    ],
    ids=["channel", "kind", "keywords", "yo-folded", "regex", "address"],
)
def test_each_text_and_source_condition_matches_only_what_it_says(
    world, roads, condition, hit, miss
):
    condition = {k: v for k, v in condition.items() if v != ""}
    r = rule(world, set_category=roads, **condition)
    rules = RuleSet(world.mun.pk)
    fields = base_fields(world, **hit)
    outcome = rules.apply(fields)
    assert [h["id"] for h in outcome.hits] == [r.pk]
    assert fields["category"] == roads
    assert outcome.hits[0]["matched"]  # says why, in words
    fields = base_fields(world, **miss) if miss else base_fields(world, channel="ok")
    if not miss:
        fields["kind"] = "incident"
    assert not rules.apply(fields)
    assert "category" not in fields


def edit(r: AutoRule, **changes) -> None:
    """An edit as the admin saves it (a compiled rule set is re-read after any save:
    ``channels.rules.rules_version``)."""
    for name, value in changes.items():
        setattr(r, name, value)
    r.save()


def test_a_saved_edit_reaches_the_next_item_at_once_and_the_hit_counters_do_not_recompile(
    world, roads
):
    r = rule(world, keywords="яма", set_category=roads)
    assert RuleSet(world.mun.pk).apply(base_fields(world))
    compiled = RuleSet(world.mun.pk).compiled
    rules_count_hits([RuleSet(world.mun.pk).apply(base_fields(world))], at=timezone.now())
    assert RuleSet(world.mun.pk).compiled is compiled  # counters are no edit
    edit(r, keywords="мусор")
    assert not RuleSet(world.mun.pk).apply(base_fields(world))  # «яма» no longer matches
    r.delete()
    assert RuleSet(world.mun.pk).compiled == []


def test_category_condition_matches_the_category_and_its_subcategories(world):
    parent = CategoryFactory(code="housing", name="ЖКХ")
    child = CategoryFactory(code="heating", name="Отопление", parent=parent)
    other = CategoryFactory(code="parks", name="Парки")
    r = rule(world, category=parent, set_organisation=world.org)
    rules = RuleSet(world.mun.pk)
    assert rules.apply(base_fields(world, category=child)).organisation == world.org
    assert rules.apply(base_fields(world, category=parent)).hits[0]["id"] == r.pk
    assert not rules.apply(base_fields(world, category=other))
    assert not rules.apply(base_fields(world))


def test_district_condition_sees_the_district_an_earlier_rule_set(world):
    """All rules apply in order: the address sets the district, the district routes."""
    centre = DistrictFactory(municipality=world.mun, name="Центральный")
    first = rule(world, position=1, address_contains="кузнецкая", set_district=centre)
    second = rule(world, position=2, district=centre, set_organisation=world.org2)
    fields = base_fields(world)
    outcome = RuleSet(world.mun.pk).apply(fields)
    assert [h["id"] for h in outcome.hits] == [first.pk, second.pk]
    assert fields["district"] == centre
    assert outcome.organisation == world.org2
    # In the other order the district is not known yet when the district rule is read.
    edit(second, position=0)
    outcome = RuleSet(world.mun.pk).apply(base_fields(world))
    assert [h["id"] for h in outcome.hits] == [first.pk]


# -- order -------------------------------------------------------------------------------


def test_an_earlier_rule_wins_a_field_and_stop_ends_the_list(world, roads):
    waste = CategoryFactory(code="waste", name="Мусор")
    a = rule(world, name="A", position=10, keywords="яма", set_category=roads)
    b = rule(world, name="B", position=20, keywords="яма", set_category=waste)
    b.set_organisation = world.org
    b.save()
    c = rule(world, name="C", position=30, keywords="яма", propose_fast_track=True)
    fields = base_fields(world)
    outcome = RuleSet(world.mun.pk).apply(fields)
    assert [h["name"] for h in outcome.hits] == ["A", "B", "C"]
    assert fields["category"] == roads  # A's, not B's
    assert outcome.hits[1]["set"] == {"organization": world.org.pk}
    assert outcome.organisation == world.org and outcome.propose_fast_track
    edit(a, stop=True)
    outcome = RuleSet(world.mun.pk).apply(base_fields(world))
    assert [h["id"] for h in outcome.hits] == [a.pk]
    # A field the item brings is not overwritten by a rule.
    fields = base_fields(world, category=waste)
    RuleSet(world.mun.pk).apply(fields)
    assert fields["category"] == waste
    # Inactive rules and other municipalities' rules are not read.
    edit(a, is_active=False)
    edit(b, is_active=False)
    edit(c, municipality=world.mun_same_region)
    assert not RuleSet(world.mun.pk).apply(base_fields(world))


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern", ["(a+)+$", r"(\w*x)*y", "(a|aa){2,}", r"(яма)\1", "[незакрыто", "a" * 201]
)
def test_a_dangerous_or_broken_pattern_is_refused_on_save(world, roads, pattern):
    with pytest.raises(ValidationError) as exc:
        rule(world, text_regex=pattern, set_category=roads)
    assert "text_regex" in exc.value.message_dict


def test_a_plain_pattern_is_accepted(world, roads):
    assert regex_check(r"\b(ям[аыу]|выбоин[аы])\b").search("Выбоина")
    rule(world, text_regex=r"(улиц[аы])? ?ленина", set_category=roads)


def test_a_rule_needs_a_condition_an_action_and_its_own_municipality(world, roads):
    with pytest.raises(ValidationError, match="условие"):
        rule(world, set_category=roads)
    with pytest.raises(ValidationError, match="действие"):
        rule(world, keywords="яма")
    with pytest.raises(ValidationError) as exc:
        rule(world, keywords="яма", set_organisation=world.org_other)
    assert "set_organisation" in exc.value.message_dict


# -- on the way in -------------------------------------------------------------------------


def test_single_ingest_applies_the_rules_records_why_and_counts_the_hit(api, world, roads):
    r = rule(
        world,
        name="Ямы → дороги",
        keywords="яма",
        set_category=roads,
        set_organisation=world.org,
        propose_fast_track=True,
    )
    response = api.post("/api/v1/ingest/", make_item(text="Во дворе огромная яма"), format="json")
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert case.category == roads
    assert case.fast_track_proposed and not case.fast_track
    # The executor is proposed, not assigned: nothing reaches an executor before moderation.
    assert case.organisation is None and case.status == "new"
    event = CaseEvent.objects.get(case=case, action="auto_rule")
    assert event.payload["rules"][0]["name"] == "Ямы → дороги"
    assert event.payload["rules"][0]["matched"] == ["ключевое слово «яма»"]
    assert event.payload["organization"] == world.org.pk
    assert Notification.objects.filter(event="case.fast_track_proposed").exists()
    r.refresh_from_db()
    assert r.hit_count == 1 and r.last_hit_at is not None
    # A duplicate delivery is not a second hit.
    api.post("/api/v1/ingest/", make_item(text="x", external_id=case.external_id), format="json")
    r.refresh_from_db()
    assert r.hit_count == 1


def test_batch_ingest_reads_the_rules_once_and_writes_set_based(
    api, world, roads, django_assert_max_num_queries
):
    r = rule(world, keywords="яма", set_category=roads, propose_fast_track=True)
    rule(world, position=200, channel="telegram", set_organisation=world.org2)
    items = [make_item(text=f"Яма номер {n}") for n in range(20)] + [
        make_item(text="Шум ночью", channel="telegram") for _ in range(5)
    ]
    with django_assert_max_num_queries(40):
        response = api.post("/api/v1/ingest/batch/", {"items": items}, format="json")
    results = response.json()["results"]
    assert [x["status"] for x in results] == ["created"] * 25
    cases = Case.objects.filter(pk__in=[x["id"] for x in results])
    assert cases.filter(category=roads, fast_track_proposed=True).count() == 20
    assert CaseEvent.objects.filter(case__in=cases, action="auto_rule").count() == 25
    r.refresh_from_db()
    assert r.hit_count == 20


def test_manual_registration_applies_the_rules(world, roads):
    r = rule(world, kind="hotline", keywords="фонарь", set_category=roads)
    case = case_services.case_register_by_staff(
        actor=world.users["administrator"],
        kind="hotline",
        channel="phone",
        text="Не горит фонарь у остановки",
    )
    assert case.category == roads
    event = CaseEvent.objects.get(case=case, action="auto_rule")
    assert event.payload["rules"][0]["id"] == r.pk
    matched = event.payload["rules"][0]["matched"]
    assert len(matched) == 2 and matched[1] == "ключевое слово «фонарь»"
    assert matched[0].startswith("вид «")


def test_the_administrator_overrides_a_rule_at_moderation(world, roads):
    rule(world, keywords="фонарь", set_category=roads, set_organisation=world.org)
    admin = world.users["administrator"]
    case = case_services.case_register_by_staff(
        actor=admin, kind="hotline", channel="phone", text="Не горит фонарь"
    )
    other = CategoryFactory(code="light", name="Освещение")
    case = case_services.case_assign(case.pk, actor=admin, organisation=world.org2, category=other)
    assert (case.organisation, case.category) == (world.org2, other)
