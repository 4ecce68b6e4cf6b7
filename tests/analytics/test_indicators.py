"""Every indicator of the rating on the hand-made data set (tests/analytics/conftest.py)."""

import datetime as dt

import pytest

from analytics.indicators import Period, analytics_scope, poisson_tail, rating_rows

from .conftest import PERIOD


def _rating(user, **kw):
    scope = analytics_scope(user=user, municipality="mzh")
    return rating_rows(scope=scope, period=Period(*PERIOD), **kw)


def _row(rating, org):
    return next(r for r in rating.rows if r.organization == org.pk)


def test_every_indicator_of_an_organisation_on_the_hand_made_data(dataset, world):
    a = _row(_rating(world.users["curator"]), world.org)
    # received: c1, c2, c8 and c3 (23:30 of the last day); not c4 (00:30 the day after)
    assert a.received == 4
    # answered: final answers of c1 and c2 published in the period
    assert a.answered == 2
    # answer clocks due in the period: c1 (met 11:00), c2 (met late Tue 09:05), c2 after
    # the reopening (due Wed 09:00, still open, past due), c8 (met by the interim answer)
    assert (a.answer_due, a.on_time, a.overdue, a.pending) == (4, 2, 2, 0)
    assert a.on_time_share == 0.5
    # working hours: c1 09:00→11:00 = 2; c2 Mon 09:05→17:00 + Tue 08:00→09:05 = 9
    assert a.answer_hours == pytest.approx([2.0, 9.0])
    assert a.answer_hours_median == pytest.approx(5.5)
    assert a.answer_hours_p90 == pytest.approx(9.0)
    # first replies: c1 2 h, c2 9 h, c8 (interim) 09:00→10:00 = 1 h → median 2
    assert sorted(a.first_reply_hours) == pytest.approx([1.0, 2.0, 9.0])
    assert a.first_reply_hours_median == pytest.approx(2.0)
    assert (a.interim, a.broken_promises) == (1, 1)
    # three final answers submitted (c1; c2 twice), one returned
    assert (a.submitted, a.returned) == (3, 1)
    assert a.returned_share == pytest.approx(1 / 3)
    # c2 reopened by the rating of 1 (≤ 2): 1 of 2 answered
    assert (a.reopened, a.reopened_share) == (1, 0.5)
    assert a.ratings == 1
    assert (a.satisfaction, a.low_share) == (1.0, 1.0)
    assert a.repeated == 1
    # 100 × (40·0.5 + 20·0.5 + 15·(2/3) + 10·0.5 + 15·0) / 100
    assert a.score == pytest.approx(45.0)
    assert (a.rank, a.ranked) == (1, True)
    # previous period: two cases on time, nothing returned, no rating → 100, also 1st
    assert a.previous_score == pytest.approx(100.0)
    assert (a.previous_rank, a.rank_change) == (1, 0)
    assert a.score_change == pytest.approx(-55.0)


def test_an_organisation_below_the_minimum_is_shown_but_not_ranked(dataset, world):
    rating = _rating(world.users["curator"])
    b = _row(rating, world.org2)
    assert (b.received, b.answered, b.on_time, b.overdue) == (1, 1, 1, 0)
    assert b.satisfaction == 5.0
    assert b.score == pytest.approx(100.0)
    assert (b.ranked, b.rank) == (False, None)
    assert [r.organization for r in rating.rows] == [world.org.pk, world.org2.pk]


def test_total_counts_every_visible_case(dataset, world):
    total = _rating(world.users["curator"]).total
    assert (total.received, total.answered, total.overdue, total.on_time) == (5, 3, 2, 3)


def test_the_period_ends_at_local_midnight_of_the_municipality(dataset, world):
    scope = analytics_scope(user=world.users["curator"], municipality="mzh")
    last_day = rating_rows(scope=scope, period=Period(dt.date(2026, 2, 8), dt.date(2026, 2, 8)))
    next_day = rating_rows(scope=scope, period=Period(dt.date(2026, 2, 9), dt.date(2026, 2, 9)))
    assert _row(last_day, world.org).received == 1  # c3, 23:30 local (16:30 UTC)
    assert _row(next_day, world.org).received == 1  # c4, 00:30 local (17:30 UTC of the 8th)


def test_executor_sees_only_their_own_row_without_a_rank(dataset, world):
    rating = _rating(world.users["executor"])
    assert [r.organization for r in rating.rows] == [world.org.pk]
    assert rating.rows[0].received == 4 and rating.rows[0].rank is None
    assert rating.total.received == 4


def test_curator_of_another_municipality_sees_none_of_ours(dataset, world):
    scope = analytics_scope(user=world.users["curator_other"], municipality="mzh")
    assert scope.municipalities == []
    rating = rating_rows(scope=scope, period=Period(*PERIOD))
    assert rating.rows == [] and rating.total.received == 0
    own = rating_rows(
        scope=analytics_scope(user=world.users["curator_other"]), period=Period(*PERIOD)
    )
    assert {r.organization for r in own.rows} == {world.org_other.pk}
    assert own.total.received == 0


def test_observer_sees_the_region(dataset, world):
    rating = rating_rows(
        scope=analytics_scope(user=world.users["observer"]), period=Period(*PERIOD)
    )
    assert _row(rating, world.org).received == 4
    assert world.org_other.pk not in {r.organization for r in rating.rows}


def test_low_rating_threshold_is_the_setting(dataset, world, settings):
    settings.LOW_SATISFACTION_THRESHOLD = 0
    assert _row(_rating(world.users["curator"]), world.org).low_share == 0.0


def test_poisson_tail():
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(5, 0.0) == 0.0
    # P(X ≥ 2 | λ = 1) = 1 − e⁻¹ − e⁻¹
    assert poisson_tail(2, 1.0) == pytest.approx(1 - 2 / 2.718281828459045)
