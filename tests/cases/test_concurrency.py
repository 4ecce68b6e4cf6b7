"""Two people acting at once: one wins, the other gets a clear 409, and the audit trail
shows only what happened (DESIGN §3, STYLE §6.3).

The compare-and-swap tests run everywhere (SQLite included, where ``select_for_update``
does nothing); the thread race needs PostgreSQL's row locks and is skipped elsewhere:
run it with ``DATABASE_URL=postgres://… pytest tests/cases/test_concurrency.py``.
"""

import threading

import pytest
from django.db import connection, connections
from django.db.models import F

from cases import services
from cases.models import Case, CaseEvent
from mcu.choices import Role
from mcu.exceptions import StateConflict
from tests.factories import UserFactory


def test_a_stale_version_is_a_409_and_changes_nothing(world, make_case, category):
    case = make_case()
    seen = case.version
    admin = world.users["administrator"]
    services.case_assign(
        case.pk, actor=admin, organisation=world.org, category=category, version=seen
    )
    # The second administrator still looks at the version they loaded.
    with pytest.raises(StateConflict):
        services.case_assign(
            case.pk,
            actor=world.users["head"],
            organisation=world.org2,
            category=category,
            version=seen,
        )
    case.refresh_from_db()
    assert case.organisation == world.org
    assert CaseEvent.objects.filter(case=case, action="assign").count() == 1


def test_compare_and_swap_refuses_a_write_based_on_a_stale_read(
    world, make_case, drive, monkeypatch
):
    """Where the database takes no row lock (SQLite), the other writer may commit between
    our read and our write; the conditional UPDATE then matches no row."""
    case = drive(make_case(), "assigned")
    real_lock = services._lock

    def read_then_the_other_one_wins(case_id, actor):
        seen = real_lock(case_id, actor)
        Case.objects.filter(pk=case_id).update(status="in_progress", version=F("version") + 1)
        return seen

    monkeypatch.setattr(services, "_lock", read_then_the_other_one_wins)
    with pytest.raises(StateConflict):
        services.case_accept(case.pk, actor=world.users["executor"])
    assert not CaseEvent.objects.filter(case=case, action="accept").exists()


def _race(calls):
    """Run the calls in threads released together; each thread has its own connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = call()
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks: set DATABASE_URL=postgres://… to run it",
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_executors_accept_at_once_on_postgresql(world, make_case, drive):
    case = drive(make_case(), "assigned")
    colleague = UserFactory(
        username="executor2", role=Role.EXECUTOR, municipality=world.mun, organisation=world.org
    )
    outcomes = _race(
        [
            lambda: services.case_accept(case.pk, actor=world.users["executor"]),
            lambda: services.case_accept(case.pk, actor=colleague),
        ]
    )
    won = [o for o in outcomes if isinstance(o, Case)]
    lost = [o for o in outcomes if isinstance(o, StateConflict)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1
    case.refresh_from_db()
    assert case.status == "in_progress" and case.assignee == won[0].assignee


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_administrators_assign_at_once_on_postgresql(world, make_case, category):
    case = make_case()
    seen = case.version
    outcomes = _race(
        [
            lambda: services.case_assign(
                case.pk,
                actor=world.users["administrator"],
                organisation=world.org,
                category=category,
                version=seen,
            ),
            lambda: services.case_assign(
                case.pk,
                actor=world.users["head"],
                organisation=world.org2,
                category=category,
                version=seen,
            ),
        ]
    )
    won = [o for o in outcomes if isinstance(o, Case)]
    assert len(won) == 1 and sum(isinstance(o, StateConflict) for o in outcomes) == 1, outcomes
    assert CaseEvent.objects.filter(case=case, action="assign").count() == 1
    case.refresh_from_db()
    assert case.organisation == won[0].organisation and case.version == seen + 1
