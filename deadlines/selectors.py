"""Reads of clocks and rules (STYLE §6.2). Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from mcu.models import Category

from .choices import Stage
from .models import Deadline, DeadlinePolicy, DeadlineRule

__all__ = [
    "annotate_nearest_due",
    "deadline_reassign_allowed",
    "deadline_rule_for",
    "deadline_rules_active",
    "deadline_rules_forget",
    "deadline_rules_version",
    "deadline_running",
    "deadlines_for_case",
    "has_running_clocks",
    "running_clocks",
    "with_nearest_due",
    "with_running_clocks",
]


def deadline_running(*, case, stage: str) -> Deadline | None:
    """The running (not met, not cancelled; maybe breached) clock of a stage, or None."""
    return (
        Deadline.objects.running().filter(case=case, stage=stage).select_related("policy").first()
    )


def policy_max_days(code: str) -> int | None:
    """The ``max_days`` ceiling of a policy (None: no ceiling or no such policy)."""
    return DeadlinePolicy.objects.filter(code=code).values_list("max_days", flat=True).first()


def deadline_reassign_allowed(*, case, at: datetime | None = None) -> bool:
    """Whether the executor may still ask for reassignment (Междуреченск §2: «оперативно
    (в течение 30 минут) связаться со специалистом … для переназначения исполнителя»)."""
    clock = deadline_running(case=case, stage=Stage.REASSIGN_WINDOW)
    return (
        clock is not None and clock.breached_at is None and (at or timezone.now()) < (clock.due_at)
    )


def deadlines_for_case(case) -> QuerySet[Deadline]:
    """Every clock of a case, oldest first, for the card (running, met, breached, stopped)."""
    return Deadline.objects.filter(case=case).select_related("policy").order_by("started_at", "pk")


def running_clocks() -> QuerySet[Deadline]:
    """Running clocks with their policy, nearest due first (list badges, prefetches)."""
    return Deadline.objects.running().select_related("policy").order_by("due_at")


def with_running_clocks(qs: QuerySet) -> QuerySet:
    """Prefetch the running clocks of a Case queryset (``case.running_deadlines``, policy
    joined): ``{% case_clock_badge %}`` draws every row without a query of its own."""
    return qs.prefetch_related(
        Prefetch("deadlines", queryset=running_clocks(), to_attr="running_deadlines")
    )


def annotate_nearest_due(qs: QuerySet) -> QuerySet:
    """``nearest_due_at``: the earliest due time of the running obligation clocks (breached
    ones included: they are the most urgent), so a list can sort by deadline in SQL. It is
    the maintained column ``Case.next_due_at`` (``services.cases_next_due_refresh`` keeps
    it), read through the ``case_mun_next_due`` / ``case_org_next_due`` indexes."""
    return qs.annotate(nearest_due_at=F("next_due_at"))


def has_running_clocks(qs: QuerySet) -> bool:
    return any(
        getattr(lookup, "to_attr", None) == "running_deadlines"
        for lookup in qs._prefetch_related_lookups
    )


def with_nearest_due(qs: QuerySet) -> QuerySet:
    """Both of the above: the annotation and the prefetch."""
    qs = annotate_nearest_due(qs)
    return qs if has_running_clocks(qs) else with_running_clocks(qs)


def case_clock_condition(*args, **conditions) -> Exists:
    """``Exists`` over a case's running obligation clocks, for ``Case`` querysets
    (``OuterRef("pk")`` is the case)."""
    return Exists(
        Deadline.objects.running().obligations().filter(*args, case=OuterRef("pk"), **conditions)
    )


def case_overdue_condition(now: datetime | None = None) -> Q:
    """A case is overdue when an obligation clock is past due and still runs
    (``state.q_breached``), marked by the sweep or not: lists do not wait for it.

    Read through the case's nearest term ``Case.next_due_at`` (its running obligation
    clocks' earliest due time, ``services.cases_next_due_refresh``), an index range
    instead of an EXISTS per case. The same set: a clock past due makes the earliest due
    time past too, and a breached running clock is always past due (the sweep marks
    only past-due clocks; an extension or a recompute that moves the term into the
    future clears the mark). ``tests/cases/test_next_due.py`` checks the two agree."""
    return Q(next_due_at__lte=now or timezone.now())


def case_was_breached_condition(now: datetime | None = None) -> Q:
    """A case with an obligation clock ever breached (``state.q_was_breached`` of any of
    its obligation clocks: the analytics' «просрочено» of a case), as a condition on the
    case's row: a breach on record (``Case.breach_recorded``: marked or met late) or an
    obligation clock running past due (``case_overdue_condition``). Both are kept by
    ``services.cases_next_due_refresh``, which every clock service runs; the sweep's mark
    needs no refresh, since a clock it marks is running past due. ``tests/cases/
    test_next_due.py`` checks the condition gives the cases the EXISTS over the clocks
    gives."""
    return Q(breach_recorded=True) | case_overdue_condition(now)


# ---------------------------------------------------------------------------------------
# Rules: the SLA condition table
# ---------------------------------------------------------------------------------------


# The active rules per process, keyed by the version of the rule tables: every clock start
# asks for them (an item taken in, an assignment, a publication), and they change a few
# times a year.
_rules_cached: tuple[tuple, list[DeadlineRule]] | None = None


def tables_version(*stamped, counted=()) -> tuple:
    """A value that changes with any write to the tables of these models: ``COUNT(*)``
    and ``MAX(updated_at)`` of each ``stamped`` one, ``COUNT(*)`` of each ``counted`` one
    (a table without a stamp, e.g. a many-to-many's), in one statement."""
    parts = []
    for model in (*stamped, *counted):
        table = connection.ops.quote_name(model._meta.db_table)
        parts.append(f"(SELECT COUNT(*) FROM {table})")
        if model in stamped:
            parts.append(f"(SELECT MAX(updated_at) FROM {table})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return tuple(str(v) for v in cursor.fetchone())


def deadline_rules_version() -> tuple:
    """A value that changes with any write to the rules, their categories or the policies
    (one query of counts and latest edits; the admin saves a rule again after its
    categories, ``deadline_config_save``, so a changed category list moves
    ``updated_at`` too). Read on every use, with no TTL: a process never starts a clock
    by a rule another process has already changed."""
    return tables_version(DeadlineRule, DeadlinePolicy, counted=[DeadlineRule.categories.through])


def deadline_rules_forget() -> None:
    """Drop this process's cached rules (the services that edit them call it)."""
    global _rules_cached
    _rules_cached = None


def deadline_rules_active(*, stage: str | None = None) -> list[DeadlineRule]:
    """Active rules with their policy and category ids loaded (a handful of rows), cached
    per process by :func:`deadline_rules_version`. The rows are shared: read them only."""
    global _rules_cached
    version = deadline_rules_version()
    cached = _rules_cached
    if cached is None or cached[0] != version:
        qs = DeadlineRule.objects.filter(is_active=True).select_related("policy")
        rules = list(qs.prefetch_related("categories"))
        for rule in rules:
            rule.category_ids = frozenset(c.pk for c in rule.categories.all())
        cached = _rules_cached = (version, rules)
    if stage is None:
        return list(cached[1])
    return [rule for rule in cached[1] if rule.stage == stage]


def _category_lineage(category_id: int | None, memo: dict | None = None) -> frozenset[int]:
    """The category and all its ancestors (``Category.lineage_of``: one query for the
    tree, kept in ``memo`` across the clocks of one recompute)."""
    if category_id is None:
        return frozenset()
    if memo is not None:
        if category_id not in memo:
            tree = memo.setdefault("__tree__", None) or Category.tree()
            memo["__tree__"] = tree
            memo[category_id] = frozenset(Category.lineage_of(category_id, tree))
        return memo[category_id]
    return frozenset(Category.lineage_of(category_id))


def _specificity(rule: DeadlineRule) -> int:
    return sum(
        (
            bool(rule.kind),
            bool(rule.channel),
            bool(rule.category_ids),
            rule.fast_track is not None,
            rule.municipality_id is not None,
        )
    )


def deadline_rule_for(
    *,
    case,
    stage: str,
    rules: Iterable[DeadlineRule] | None = None,
    category_memo: dict | None = None,
) -> DeadlineRule | None:
    """The rule that decides the policy of ``stage`` for ``case``; None if none applies.

    The most specific matching rule wins (number of conditions set); ties go to the higher
    priority, then to the older rule. A rule's categories match their whole subtree.
    """
    if rules is None:
        rules = deadline_rules_active(stage=stage)
    lineage = None
    best, best_key = None, None
    for rule in rules:
        if rule.stage != stage:
            continue
        if rule.kind and rule.kind != case.kind:
            continue
        if rule.channel and rule.channel != case.channel:
            continue
        if rule.fast_track is not None and rule.fast_track != bool(case.fast_track):
            continue
        if rule.municipality_id is not None and rule.municipality_id != case.municipality_id:
            continue
        if rule.category_ids:
            if lineage is None:
                lineage = _category_lineage(case.category_id, category_memo)
            if not rule.category_ids & lineage:
                continue
        key = (_specificity(rule), rule.priority, -rule.pk)
        if best_key is None or key > best_key:
            best, best_key = rule, key
    return best
