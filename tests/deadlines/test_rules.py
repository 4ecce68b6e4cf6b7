"""Which policy a clock gets: the most specific active rule wins (an SLA condition table)."""

from deadlines.models import DeadlinePolicy, DeadlineRule
from deadlines.selectors import deadline_rule_for
from tests.factories import CategoryFactory


def _policy(code: str) -> DeadlinePolicy:
    return DeadlinePolicy.objects.get(code=code)


def test_incident_answer_uses_eight_working_hours(make_case):
    rule = deadline_rule_for(case=make_case(), stage="answer")
    assert rule.policy.code == "incident.answer"


def test_fast_track_answer_uses_four_calendar_hours(make_case):
    rule = deadline_rule_for(case=make_case(fast_track=True), stage="answer")
    assert rule.policy.code == "incident.fast_track"


def test_ninety_minute_comments_are_meshchovsk_rule_in_calendar_minutes(make_case):
    """Мещовск, прил. 2: «отработки комментариев в течение 90 минут» — that
    municipality's rule, in calendar minutes; elsewhere a comment is an incident."""
    from deadlines.services import deadline_municipal_rules_load
    from tests.factories import MunicipalityFactory

    elsewhere = deadline_rule_for(case=make_case(channel="official_comment"), stage="answer")
    assert elsewhere.policy.code == "incident.answer"
    meshchovsk = MunicipalityFactory(slug="meshchovsk", timezone="Europe/Moscow")
    assert deadline_municipal_rules_load(municipality=meshchovsk) == 1
    case = make_case(channel="official_comment", municipality=meshchovsk, organisation=None)
    rule = deadline_rule_for(case=case, stage="answer")
    assert rule.policy.code == "incident.comment"
    assert (rule.policy.unit, rule.policy.amount) == ("calendar_minutes", 90)


def test_fast_track_beats_comment_rule_of_equal_specificity_by_priority(make_case):
    case = make_case(channel="official_comment", fast_track=True)
    assert deadline_rule_for(case=case, stage="answer").policy.code == "incident.fast_track"


def test_each_kind_gets_its_own_answer_policy(make_case):
    assert deadline_rule_for(case=make_case(kind="pos"), stage="answer").policy.code == (
        "pos.answer"
    )
    assert deadline_rule_for(case=make_case(kind="appeal"), stage="answer").policy.code == (
        "appeal.answer"
    )
    assert deadline_rule_for(case=make_case(kind="hotline"), stage="answer").policy.code == (
        "hotline.answer"
    )
    appeal = make_case(kind="appeal")
    assert deadline_rule_for(case=appeal, stage="register").policy.code == "appeal.register"
    assert deadline_rule_for(case=appeal, stage="forward").policy.code == "appeal.forward"


def test_stages_without_kind_apply_to_every_kind(make_case):
    for kind in ("incident", "pos", "appeal", "hotline"):
        case = make_case(kind=kind)
        assert deadline_rule_for(case=case, stage="reaction").policy.code == "resident.reaction"
        assert deadline_rule_for(case=case, stage="reassign_window").policy.code == (
            "executor.reassign_window"
        )
        assert deadline_rule_for(case=case, stage="promise").policy.code == "case.promise"


def test_no_rule_means_none(make_case):
    assert deadline_rule_for(case=make_case(kind="pos"), stage="first_reply") is None


def test_municipality_rule_beats_the_general_one(make_case, world):
    own = DeadlineRule.objects.create(
        stage="answer",
        kind="incident",
        municipality=world.mun,
        policy=_policy("hotline.answer"),
    )
    assert deadline_rule_for(case=make_case(), stage="answer") == own
    other = make_case(municipality=world.mun_other, organisation=world.org_other)
    assert deadline_rule_for(case=other, stage="answer").policy.code == "incident.answer"


def test_inactive_rule_is_ignored(make_case, world):
    DeadlineRule.objects.create(
        stage="answer",
        kind="incident",
        municipality=world.mun,
        policy=_policy("hotline.answer"),
        is_active=False,
    )
    assert deadline_rule_for(case=make_case(), stage="answer").policy.code == "incident.answer"


def test_priority_breaks_a_tie_then_the_older_rule_wins(make_case):
    first = DeadlineRule.objects.create(
        stage="answer", kind="incident", channel="ok", policy=_policy("hotline.answer")
    )
    DeadlineRule.objects.create(
        stage="answer", kind="incident", channel="ok", policy=_policy("pos.answer")
    )
    case = make_case(channel="ok")
    assert deadline_rule_for(case=case, stage="answer") == first
    urgent = DeadlineRule.objects.create(
        stage="answer",
        kind="incident",
        channel="ok",
        policy=_policy("incident.comment"),
        priority=5,
    )
    assert deadline_rule_for(case=case, stage="answer") == urgent


def test_priority_categories_of_pos_get_five_working_days(make_case):
    # Лабытнанги 3.4.2 в): «по перечню категорий (подкатегорий) … - в течение 5 рабочих
    # дней». The shipped rule waits, switched off, for the list to be filled in.
    rule = DeadlineRule.objects.get(policy__code="pos.priority_answer")
    assert not rule.is_active
    sector = CategoryFactory(name="ЖКХ")
    heating = CategoryFactory(name="Отопление", parent=sector)
    no_heat = CategoryFactory(name="Нет отопления", parent=heating)
    roads = CategoryFactory(name="Дороги")
    rule.categories.add(heating)
    rule.is_active = True
    rule.save()

    # A subcategory of a listed category matches (the rule covers the subtree).
    case = make_case(kind="pos", category=no_heat)
    assert deadline_rule_for(case=case, stage="answer").policy.code == "pos.priority_answer"
    assert (
        deadline_rule_for(case=make_case(kind="pos", category=sector), stage="answer").policy.code
        == "pos.answer"
    )
    assert (
        deadline_rule_for(case=make_case(kind="pos", category=roads), stage="answer").policy.code
        == "pos.answer"
    )
    assert deadline_rule_for(case=make_case(kind="pos"), stage="answer").policy.code == (
        "pos.answer"
    )


def test_cached_rules_follow_a_change_made_by_another_process(make_case, world):
    """The rules are cached per process by the version of their tables: a second start
    reads no rule rows, and an edit that bypasses this process's services (another
    process, a shell ``update``) is seen at the next start, not a TTL later."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from deadlines.selectors import deadline_rules_active

    case = make_case()
    assert deadline_rule_for(case=case, stage="answer").policy.code == "incident.answer"
    with CaptureQueriesContext(connection) as warm:
        deadline_rules_active(stage="answer")
    rule_reads = [q for q in warm.captured_queries if '"deadlines_deadlinerule".' in q["sql"]]
    assert len(warm.captured_queries) == 1 and not rule_reads, warm.captured_queries

    DeadlineRule.objects.filter(stage="answer", kind="incident", fast_track=None).update(
        policy=_policy("hotline.answer"), updated_at=timezone.now() + timedelta(seconds=1)
    )
    assert deadline_rule_for(case=case, stage="answer").policy.code == "hotline.answer"
    # A policy edited elsewhere: the cached rule's policy row is read again too.
    DeadlinePolicy.objects.filter(code="hotline.answer").update(
        amount=7, updated_at=timezone.now() + timedelta(seconds=2)
    )
    assert deadline_rule_for(case=case, stage="answer").policy.amount == 7
