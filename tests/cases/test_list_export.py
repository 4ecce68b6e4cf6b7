"""The case list as CSV and XLSX: the page's own rows, personal data only when asked for
and permitted (152-ФЗ), times in each case's municipality's zone."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client

from cases import services
from cases.exports import case_export_rows
from cases.models import Case

AUTHOR = "Пётр Жителев"
PHONE = "+7 913 000-11-22"


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def cases(world, make_case, category):
    admin = world.users["administrator"]
    ours = make_case(
        text="Яма у дома 5",
        author_name=AUTHOR,
        author_contacts=PHONE,
        received_at=dt.datetime(2026, 3, 2, 17, 30, tzinfo=dt.UTC),  # 00:30 on the 3rd there
    )
    ours = services.case_assign(ours.pk, actor=admin, organisation=world.org, category=category)
    theirs = make_case(text="Нет воды")
    theirs = services.case_assign(
        theirs.pk, actor=admin, organisation=world.org2, category=category
    )
    other_mun = make_case(text="Саратов", mun=world.mun_other)
    return {"ours": ours, "theirs": theirs, "other_mun": other_mun}


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def read_xlsx(response) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = book.active.iter_rows(values_only=True)
    return [["" if v is None else v for v in row] for row in rows]


def test_the_export_holds_the_filtered_rows_of_the_users_scope(world, cases, client_for):
    response = client_for(world.users["executor"]).get("/cases/export.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    rows = read_csv(response)
    numbers = {row[0] for row in rows[1:]}
    assert numbers == {Case.objects.get(pk=cases["ours"].pk).registration_number}
    # The filters of the page apply: nothing of this kind.
    rows = read_csv(client_for(world.users["head"]).get("/cases/export.csv?kind=appeal"))
    assert rows[1:] == []


def test_times_are_the_municipalitys_own(world, cases, client_for):
    rows = read_csv(client_for(world.users["head"]).get("/cases/export.csv?q=яма"))
    header, row = rows[0], rows[1]
    assert row[header.index("Поступило (местное время)")] == "03.03.2026 00:30"


def test_personal_data_only_when_asked_for_and_permitted(world, cases, client_for):
    head = client_for(world.users["head"])
    plain = read_xlsx(head.get("/cases/export.xlsx"))
    assert "Автор" not in plain[0]
    assert not any(AUTHOR in map(str, row) for row in plain)
    full = read_xlsx(head.get("/cases/export.xlsx?personal=1"))
    assert "Автор" in full[0] and any(AUTHOR in row for row in full)
    # The observer reads the region's cases but never a resident's name or phone.
    observer = client_for(world.users["observer"])
    assert observer.get("/cases/export.csv?personal=1").status_code == 403
    rows = read_csv(observer.get("/cases/export.csv"))
    assert "МО" in rows[0]
    assert not any(PHONE in value for row in rows for value in row)
    assert len(rows) == 3  # the two cases of Кузбасс, not Саратов's


def test_bad_filters_and_too_many_rows_are_refused_with_a_message(
    world, cases, client_for, monkeypatch
):
    head = client_for(world.users["head"])
    response = head.get("/cases/export.csv?received_after=31.02.2026", follow=True)
    assert "Исправьте фильтры" in response.content.decode()
    monkeypatch.setattr("cases.views.EXPORT_MAX_ROWS", 1)
    response = head.get("/cases/export.xlsx", follow=True)
    assert "Выгрузка ограничена 1 строками" in response.content.decode()
    assert head.get("/cases/export.pdf").status_code == 404


def test_the_list_links_its_export_with_the_same_filters(world, cases, client_for):
    page = client_for(world.users["head"]).get("/cases/?kind=incident&page=1").content.decode()
    assert 'href="/cases/export.csv?kind=incident"' in page
    assert "personal=1" in page
    observer_page = client_for(world.users["observer"]).get("/cases/").content.decode()
    assert "/cases/export.xlsx" in observer_page and "personal=1" not in observer_page


def test_rows_are_read_in_chunks_with_a_constant_number_of_queries(
    world, cases, django_assert_max_num_queries
):
    qs = Case.objects.visible_to(world.users["head"]).select_related(
        "municipality", "district", "category", "organisation"
    )
    with django_assert_max_num_queries(2):
        assert len(list(case_export_rows(qs, personal=False, municipality=False))) == 3
