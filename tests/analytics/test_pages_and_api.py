"""Pages, API, exports and query counts of the analytics."""

import csv
import io

import pytest

from analytics.indicators import Period, analytics_scope, rating_rows
from tests.factories import OrganisationFactory

from .conftest import PERIOD

Q = {"municipality": "mzh", "date_from": "2026-02-02", "date_to": "2026-02-08"}


def _login(client, world, role="curator"):
    client.force_login(world.users[role])
    return client


def test_received_equals_the_case_list_api_filtered_the_same_way(dataset, client, world):
    _login(client, world)
    rows = client.get("/api/v1/analytics/rating/", Q).json()["rows"]
    for row in rows:
        listed = client.get(
            "/api/v1/cases/",
            {
                "organization": row["organization"],
                "received_after": Q["date_from"],
                "received_before": Q["date_to"],
            },
        ).json()["count"]
        assert row["received"] == listed


def test_rating_api_has_the_numbers_of_the_selector(dataset, client, world):
    body = _login(client, world).get("/api/v1/analytics/rating/", Q).json()
    a = next(r for r in body["rows"] if r["organization"] == world.org.pk)
    assert {k: a[k] for k in ("name", "received", "answered", "on_time_share", "overdue")} == {
        "name": "Отдел ЖКХ",
        "received": 4,
        "answered": 2,
        "on_time_share": 0.5,
        "overdue": 2,
    }
    assert (a["score"], a["rank"]) == (45.0, 1)
    b = next(r for r in body["rows"] if r["organization"] == world.org2.pk)
    assert (b["rank"], b["ranked"]) == (None, False)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-13-01", "date_to": "2026-02-08"}, "date_from"),
        ({"date_from": "2026-02-08", "date_to": "2026-02-01"}, "date_to"),
        ({"date_from": "2026-02-01"}, "date_to"),
        ({"sector": "x"}, "sector"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(frozen, client, world, params, field):
    for url in ("rating", "top-problems", "heatmap", "rising"):
        response = _login(client, world).get(f"/api/v1/analytics/{url}/", params)
        assert response.status_code == 400, url
        assert field in response.json(), response.json()


def test_other_endpoints_answer(dataset, client, world, cats):
    _login(client, world)
    top = client.get("/api/v1/analytics/top-problems/", Q).json()["results"]
    assert [(p["name"], p["count"]) for p in top] == [("Ямы", 4), ("Протечки", 1)]
    assert top[0]["executors"][0] == {"name": "Отдел ЖКХ", "count": 3}
    heat = client.get("/api/v1/analytics/heatmap/", Q).json()
    assert sum(c["count"] for c in heat["cells"]) == 5
    assert sum(map(sum, heat["weekday_hour"])) == 5
    assert heat["weekday_hour"][6][23] == 1  # c3, Sunday 23:30 local
    rising = client.get("/api/v1/analytics/rising/", {**Q, "date_from": "2026-02-02"}).json()
    assert rising["results"] == []  # 4 potholes in a week: below x ≥ 5
    assert "0,01" in rising["rule"]


@pytest.mark.parametrize("path", ["rating", "top", "heatmap", "rising"])
def test_pages_render_for_roles_and_refuse_others(dataset, client, world, path):
    for role in ("curator", "head", "administrator", "observer", "executor"):
        response = _login(client, world, role).get(f"/analytics/{path}/", Q)
        assert response.status_code == 200, role
    assert _login(client, world, "norole").get(f"/analytics/{path}/").status_code == 403
    client.logout()
    assert client.get(f"/analytics/{path}/").status_code == 302


def test_rating_page_links_received_to_the_filtered_case_list(dataset, client, world):
    html = _login(client, world).get("/analytics/rating/", Q).content.decode()
    assert (
        f"/cases/?organization={world.org.pk}&amp;received_after=2026-02-02"
        "&amp;received_before=2026-02-08"
    ) in html
    assert "Как считается" in html and "Аналитика" in html


def test_executor_page_shows_only_their_row(dataset, client, world):
    html = _login(client, world, "executor").get("/analytics/rating/", Q).content.decode()
    assert f'data-org="{world.org.pk}"' in html
    assert f'data-org="{world.org2.pk}"' not in html


def test_rating_downloads_as_csv(dataset, client, world):
    response = _login(client, world).get("/analytics/rating/", {**Q, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Место", "Организация", "Поступило", "Отвечено"]
    assert rows[1][:7] == ["1", "Отдел ЖКХ", "4", "2", "4", "2", "2"]
    assert rows[1][7] == "50.0"  # on-time share, %
    assert rows[2][:3] == ["", "Водоканал", "1"]
    assert rows[3][:3] == ["", "Итого", "5"]


def test_every_table_downloads_as_xlsx(dataset, client, world):
    openpyxl = pytest.importorskip("openpyxl")
    _login(client, world)
    for path in ("rating", "top", "heatmap", "rising"):
        response = client.get(f"/analytics/{path}/", {**Q, "format": "xlsx"})
        assert response.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        assert book.active.max_row >= 1
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/analytics/rating/", {**Q, "format": "xlsx"}).content)
    )
    assert [c.value for c in book.active[2]][:3] == [1, "Отдел ЖКХ", 4]


def test_rating_queries_do_not_grow_with_organisations(
    dataset, world, django_assert_max_num_queries
):
    from django.core.cache import cache

    scope = analytics_scope(user=world.users["curator"], municipality="mzh")
    rating_rows(scope=scope, period=Period(*PERIOD))  # warms the calendars' cache
    cache.clear()  # the previous period's counts are cached (_past_counts): count them
    with django_assert_max_num_queries(14) as few:
        rating_rows(scope=scope, period=Period(*PERIOD))
    for i in range(15):
        OrganisationFactory(municipality=world.mun, name=f"УК {i}")
    scope = analytics_scope(user=world.users["curator"], municipality="mzh")
    cache.clear()
    # +1: the calendar cache re-checks its version once in a while (deadlines.calendars).
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        rating = rating_rows(scope=scope, period=Period(*PERIOD))
    assert len(rating.rows) == 17


def test_a_weekday_hour_cell_links_to_its_cases(dataset, client, world):
    _login(client, world)
    html = client.get("/analytics/heatmap/", Q).content.decode()
    assert "/analytics/heatmap/cases/?" in html and "weekday=6" in html
    page = client.get("/analytics/heatmap/cases/", {**Q, "weekday": 6, "hour": 23})
    assert page.status_code == 200
    assert dataset["c3"].registration_number in page.content.decode()
    assert dataset["c4"].registration_number not in page.content.decode()


def test_top_hides_sample_texts_from_the_observer(dataset, client, world):
    body = _login(client, world, "observer").get("/api/v1/analytics/top-problems/", Q).json()
    assert body["results"] and all(p["samples"] == [] for p in body["results"])
    body = _login(client, world).get("/api/v1/analytics/top-problems/", Q).json()
    assert len(body["results"][0]["samples"]) == 2
