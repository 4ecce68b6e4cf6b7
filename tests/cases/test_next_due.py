"""``Case.next_due_at``, the list's «по сроку», is kept by every clock service: it always
equals the earliest due time of the case's running obligation clocks, computed afresh."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from cases import services
from cases.choices import CaseStatus
from cases.models import Case
from deadlines import services as deadline_services
from deadlines.choices import Stage
from deadlines.models import Deadline, DeadlinePolicy
from tests.cases.conftest import DRIVE_ORDER, register_case


def fresh_next_due() -> dict[int, dt.datetime | None]:
    nearest = (
        Deadline.objects.running()
        .obligations()
        .filter(case=OuterRef("pk"))
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return dict(Case.objects.annotate(fresh=Subquery(nearest)).values_list("pk", "fresh"))


@contextlib.contextmanager
def undone():
    """What the block writes is rolled back: the module's cases stay as built (a test
    of a ``module_db`` module that writes does not leave its steps to the next one)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def stored_next_due() -> dict[int, dt.datetime | None]:
    return dict(Case.objects.values_list("pk", "next_due_at"))


def test_the_stored_term_matches_the_clocks_in_every_status(case_in_status):
    assert stored_next_due() == fresh_next_due()
    new = Case.objects.get(pk=case_in_status[CaseStatus.NEW].pk)
    first_reply = Deadline.objects.running().get(case=new, stage=Stage.FIRST_REPLY)
    assert new.next_due_at == min(
        Deadline.objects.running().obligations().filter(case=new).values_list("due_at", flat=True)
    )
    assert new.next_due_at <= first_reply.due_at


def test_a_closed_case_has_no_term(world, drive):
    case = drive(register_case(world), CaseStatus.PUBLISHED)
    # Published: the answer is met; the resident's reaction wait is no obligation.
    assert Case.objects.get(pk=case.pk).next_due_at is None
    case = services.case_auto_close(case.pk, at=timezone.now() + dt.timedelta(days=3))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.next_due_at is None
    assert fresh_next_due()[case.pk] is None


def test_a_met_clock_moves_the_term_to_the_next_one(world, drive):
    case = drive(register_case(world), CaseStatus.IN_PROGRESS)
    running = list(Deadline.objects.running().obligations().filter(case=case).order_by("due_at"))
    assert running and Case.objects.get(pk=case.pk).next_due_at == running[0].due_at
    deadline_services.deadline_meet(case=case, stage=running[0].stage)
    assert stored_next_due()[case.pk] == fresh_next_due()[case.pk] != running[0].due_at


@time_machine.travel(dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC), tick=True)
def test_an_extension_and_a_recompute_move_the_term(world, category):
    """59-ФЗ ст. 12 ч. 2 (the head extends the answer term) and a policy edited in the
    admin (the clocks recomputed): the case's stored term follows both. In June, so that
    neither new term falls into the New Year holidays and moves to the same working day."""
    admin, head = world.users["administrator"], world.users["head"]
    case = services.case_register_appeal(register_case(world, kind="appeal").pk, actor=admin)
    case = services.case_assign(case.pk, actor=admin, organisation=world.org, category=category)
    answer = Deadline.objects.running().get(case=case, stage=Stage.ANSWER)
    services.case_extend(case.pk, actor=head, days=10, reason="проверка", notice="письмом")
    assert stored_next_due()[case.pk] == fresh_next_due()[case.pk]
    moved = Deadline.objects.running().get(case=case, stage=Stage.ANSWER)
    assert moved.due_at > answer.due_at
    policy = DeadlinePolicy.objects.get(pk=moved.policy_id)
    policy.amount += 5
    deadline_services.deadline_config_save(obj=policy, changed_fields=["amount"])
    deadline_services.recompute_requests_pending_run()
    assert Deadline.objects.running().get(case=case, stage=Stage.ANSWER).due_at > moved.due_at
    assert stored_next_due()[case.pk] == fresh_next_due()[case.pk]


@pytest.mark.parametrize("status", DRIVE_ORDER)
def test_the_deadline_order_reads_the_stored_term(case_in_status, status):
    from deadlines.selectors import annotate_nearest_due

    case = annotate_nearest_due(Case.objects.filter(pk=case_in_status[status].pk)).get()
    assert case.nearest_due_at == fresh_next_due()[case.pk]


def test_refresh_all_repairs_a_stale_term(db, case_in_status):
    Case.objects.update(next_due_at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC))
    deadline_services.cases_next_due_refresh_all()
    assert stored_next_due() == fresh_next_due()


@pytest.mark.parametrize("hours_later", [0, 2, 30, 24 * 40])
def test_overdue_by_the_stored_term_is_overdue_by_the_clocks(db, case_in_status, hours_later):
    """``case_overdue_condition`` (the nearest term past) picks exactly the cases with a
    running obligation clock past due or marked breached (``state.q_breached``), before
    and after the sweep has marked them."""
    from django.db.models import Exists

    from deadlines.selectors import case_overdue_condition
    from deadlines.state import q_breached

    now = timezone.now() + dt.timedelta(hours=hours_later)

    def both():
        by_clocks = Exists(
            Deadline.objects.obligations().filter(q_breached(now), case=OuterRef("pk"))
        )
        return (
            set(Case.objects.filter(case_overdue_condition(now)).values_list("pk", flat=True)),
            set(Case.objects.filter(by_clocks).values_list("pk", flat=True)),
        )

    by_term, by_clocks = both()
    assert by_term == by_clocks
    deadline_services.deadlines_sweep(now=now)
    assert both() == (by_term, by_clocks)
    if hours_later >= 24 * 40:
        # Forty days on, every term has run out whatever holidays lie between.
        assert by_term


@pytest.mark.parametrize("hours_later", [0, 2, 30, 24 * 40])
def test_ever_breached_by_the_case_row_is_ever_breached_by_the_clocks(case_in_status, hours_later):
    """``case_was_breached_condition`` (the analytics' «просрочено» of a case, read on the
    case's row) picks exactly the cases with an obligation clock ever breached
    (``state.q_was_breached``), before and after the sweep, and after the late clocks are
    met (the breach stays on record) — as the EXISTS over the clocks did."""
    from django.db.models import Exists

    from deadlines.selectors import case_was_breached_condition
    from deadlines.state import q_was_breached

    now = timezone.now() + dt.timedelta(hours=hours_later)

    def both():
        by_clocks = Exists(
            Deadline.objects.obligations().filter(q_was_breached(now), case=OuterRef("pk"))
        )
        return (
            set(Case.objects.filter(case_was_breached_condition(now)).values_list("pk", flat=True)),
            set(Case.objects.filter(by_clocks).values_list("pk", flat=True)),
        )

    with undone():  # the module's cases as built for the next test
        by_row, by_clocks = both()
        assert by_row == by_clocks
        deadline_services.deadlines_sweep(now=now)
        assert both() == (by_row, by_clocks)
        late = list(Deadline.objects.running().obligations().filter(due_at__lte=now))
        for clock in late:
            deadline_services.deadline_meet(case=clock.case, stage=clock.stage, at=now)
        after = both()
        assert after[0] == after[1]
        assert {c.case_id for c in late} <= after[0]
        if hours_later >= 24 * 40:
            assert late and by_row


def test_refresh_all_repairs_a_stale_breach_mark(db, case_in_status):
    from deadlines.selectors import case_was_breached_condition

    now = timezone.now() + dt.timedelta(days=40)
    with undone():
        for clock in Deadline.objects.running().obligations():
            deadline_services.deadline_meet(case=clock.case, stage=clock.stage, at=now)
        marked = set(Case.objects.filter(breach_recorded=True).values_list("pk", flat=True))
        assert marked
        Case.objects.update(breach_recorded=False)
        deadline_services.cases_next_due_refresh_all()
        assert set(Case.objects.filter(breach_recorded=True).values_list("pk", flat=True)) == marked
        assert marked <= set(
            Case.objects.filter(case_was_breached_condition(now)).values_list("pk", flat=True)
        )


@pytest.mark.parametrize("count", [1, 60])  # one INSERT, and COPY on PostgreSQL (mcu.bulk)
def test_a_registration_writes_each_case_with_its_term_planned_before_the_insert(world, count):
    """The clocks of new cases are planned before their rows go in
    (``clocks.on_register_plan``): each case is written with the term the subquery would
    give, for every kind, with no UPDATE after."""
    from cases.choices import CHANNELS_BY_KIND

    kinds = list(CHANNELS_BY_KIND)
    cases = [
        services.case_build(
            municipality=world.mun,
            kind=kinds[i % len(kinds)],
            channel=CHANNELS_BY_KIND[kinds[i % len(kinds)]][0],
            text=f"Сообщение {i}",
            received_at=timezone.now() - dt.timedelta(minutes=i),
        )
        for i in range(count)
    ]
    services.case_register_many(cases=cases)
    stored, fresh = stored_next_due(), fresh_next_due()
    assert {c.pk: stored[c.pk] for c in cases} == {c.pk: fresh[c.pk] for c in cases}
    assert any(stored[c.pk] is not None for c in cases)
    assert all(c.next_due_at == stored[c.pk] for c in cases)
