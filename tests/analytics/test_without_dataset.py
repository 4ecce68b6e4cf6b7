"""Figures of a database without the hand-made data set (its own module: the data set,
built once per module, would otherwise be there)."""

from .conftest import local
from .test_indicators import _rating
from .test_pages_and_api import _login


def test_no_cases_gives_zeros_and_no_score(frozen, world):
    rating = _rating(world.users["curator"])
    assert {r.organization for r in rating.rows} == {world.org.pk, world.org2.pk}
    for row in rating.rows:
        assert (row.received, row.answered, row.overdue) == (0, 0, 0)
        assert row.on_time_share is None and row.score is None and row.rank is None


def test_rising_flags_a_jump_above_the_baseline(frozen, flow, client, world):
    for i in range(6):
        flow.assign(flow.register(local(16, 9 + i)), local(16, 16))
    body = (
        _login(client, world)
        .get("/api/v1/analytics/rising/", {"date_from": "2026-02-16", "date_to": "2026-02-20"})
        .json()
    )
    assert [(r["name"], r["count"], r["baseline"]) for r in body["results"]] == [("Ямы", 6, 0.0)]
