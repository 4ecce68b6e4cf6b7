"""The import page: who may use it, upload → progress → report, refusals in Russian, the
body limit before the upload is read (DESIGN §5 «Import»)."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Case
from channels.models_import import ImportJob, ImportStatus

from .importdata import csv_bytes, mapping_default, row, xlsx_bytes, zip_bomb

URL = "/channels/imports/"


def post(client, content: bytes, name="export.xlsx", **data):
    data.setdefault("mapping", mapping_default().pk)
    return client.post(URL, {"file": SimpleUploadedFile(name, content), **data})


@pytest.mark.parametrize("persona", ["curator", "executor", "observer", "integration", "norole"])
def test_other_roles_get_403_on_every_import_page(client, world, persona):
    job = ImportJob.objects.create(
        municipality=world.mun,
        uploaded_by=world.users["head"],
        mapping=mapping_default(),
        original_name="x.csv",
        file="imports/x.csv",
    )
    client.force_login(world.users[persona])
    urls = [
        URL,
        reverse("channels:import-job", args=[job.pk]),
        reverse("channels:import-progress", args=[job.pk]),
        reverse("channels:import-report", args=[job.pk, "csv"]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert post(client, csv_bytes([row()]), "x.csv").status_code == 403
    assert ImportJob.objects.count() == 1


def test_anonymous_is_sent_to_the_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("persona", ["head", "administrator"])
def test_the_nav_links_the_page_for_the_roles_that_may_import(client, world, persona):
    client.force_login(world.users[persona])
    page = client.get("/cases/").content.decode()
    assert f'href="{URL}"' in page
    client.force_login(world.users["curator"])
    assert f'href="{URL}"' not in client.get("/cases/").content.decode()


def test_upload_runs_the_task_and_the_job_page_shows_the_counts_and_the_report(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.users["head"])
    rows = [row(), row(), row(**{"Дата поступления": "когда-то"})]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, xlsx_bytes(rows))
    # The task is sent after the job's row is committed (the first callback).
    assert callbacks[0].func.__name__ == "_enqueue"
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("channels:import-job", args=[job.pk])
    assert (job.uploaded_by, job.municipality, job.file_format) == (
        world.users["head"],
        world.mun,
        "xlsx",
    )
    assert (job.status, job.created_count, job.rejected_count) == (ImportStatus.DONE, 2, 1)
    assert job.file.name.startswith("imports/")
    assert job.file.read()[:2] == b"PK"  # the upload itself, in the default storage

    page = client.get(response["Location"]).content.decode()
    assert "Готово" in page
    assert "Обработано 3 из 3 строк (100 %)" in page
    # nothing to poll any more (the bell still polls)
    assert reverse("channels:import-progress", args=[job.pk]) not in page
    assert reverse("channels:import-report", args=[job.pk, "xlsx"]) in page
    # The first rejected rows on the page itself, with their reasons.
    assert "<td>Дата поступления «когда-то» не распознана" in page
    job.refresh_from_db()
    assert [e["row"] for e in job.rejected_rows] == [4]  # stored, not only in memory

    report = client.get(reverse("channels:import-report", args=[job.pk, "csv"]))
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][:3] == ["Строка", "Причина", "Внешний ID"]
    assert lines[1][:2] == [
        "4",
        "Дата поступления «когда-то» не распознана (ожидается ДД.ММ.ГГГГ ЧЧ:ММ).",
    ]
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("channels:import-report", args=[job.pk, "xlsx"])).content)
    )
    assert book.active["B2"].value.startswith("Дата поступления «когда-то»")

    listing = client.get(URL).content.decode()
    assert "export.xlsx" in listing


def test_a_running_job_is_polled_until_it_finishes(client, world):
    job = ImportJob.objects.create(
        municipality=world.mun,
        uploaded_by=world.users["administrator"],
        mapping=mapping_default(),
        original_name="big.csv",
        file="imports/big.csv",
        status=ImportStatus.RUNNING,
        total_rows=10_000,
        processed_rows=2_500,
        created_count=2_400,
        rejected_count=100,
    )
    client.force_login(world.users["administrator"])
    progress_url = reverse("channels:import-progress", args=[job.pk])
    page = client.get(reverse("channels:import-job", args=[job.pk])).content.decode()
    assert f'hx-get="{progress_url}" hx-trigger="every 1s"' in page
    fragment = client.get(progress_url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section class="card import-job"')
    assert 'value="25"' in fragment
    assert "Обработано 2500 из 10000 строк (25 %)" in fragment
    assert "rejected.csv" not in fragment  # the report comes when the job is done
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, processed_rows=10_000)
    fragment = client.get(progress_url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment
    assert "rejected.csv" in fragment


def test_another_municipalitys_job_is_404(client, world):
    job = ImportJob.objects.create(
        municipality=world.mun_other,
        uploaded_by=world.users["curator_other"],
        mapping=mapping_default(),
        original_name="x.csv",
        file="imports/x.csv",
    )
    client.force_login(world.users["head"])
    assert client.get(reverse("channels:import-job", args=[job.pk])).status_code == 404
    assert client.get(reverse("channels:import-report", args=[job.pk, "csv"])).status_code == 404
    assert "x.csv" not in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (zip_bomb(32), "export.xlsx", "распаковывается в 32 МБ"),
        (b"%PDF-1.4 not a table", "export.csv", "Это файл PDF, а не таблица"),
        (csv_bytes([row()], headers=["Автор"]), "export.csv", "не нашло в файле колонок"),
    ],
    ids=["zip-bomb", "pdf-as-csv", "no-columns"],
)
def test_a_refused_file_is_a_russian_form_error_and_no_job(client, world, content, name, words):
    client.force_login(world.users["administrator"])
    response = post(client, content, name)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not Case.objects.filter(source="incident-manager").exists()


def test_a_body_over_the_limit_is_413_before_it_is_read(client, world, settings):
    client.force_login(world.users["administrator"])
    too_big = settings.IMPORT_MAX_UPLOAD_BYTES + 512 * 1024
    response = client.post(
        URL,
        {"file": SimpleUploadedFile("x.csv", csv_bytes([row()])), "mapping": 1},
        CONTENT_LENGTH=str(too_big),
    )
    assert response.status_code == 413
    assert "Слишком большой запрос: не больше 20 МБ." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_page_offers_the_mappings_and_lists_recent_jobs(client, world):
    client.force_login(world.users["administrator"])
    page = client.get(URL).content.decode()
    assert "Инцидент Менеджмент" in page
    assert "Загрузок ещё не было." in page
    assert 'enctype="multipart/form-data"' in page


def test_the_page_and_a_finished_job_in_english(client, world):
    from django.conf import settings

    job = ImportJob.objects.create(
        municipality=world.mun,
        uploaded_by=world.users["head"],
        mapping=mapping_default(),
        original_name="x.csv",
        file="imports/x.csv",
        status=ImportStatus.DONE,
        total_rows=3,
        processed_rows=3,
        created_count=2,
        rejected_count=1,
        rejected_rows=[{"row": 3, "reason": "Пустой текст сообщения.", "values": []}],
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.users["head"])
    page = client.get(URL).content.decode()
    assert "Export file" in page and "No imports yet." not in page
    assert "2 created, 0 already there, 1 rejected" in page
    job_page = client.get(reverse("channels:import-job", args=[job.pk])).content.decode()
    assert "3 of 3 rows processed (100 %)" in job_page
    assert "Report of the rejected rows with their reasons:" in job_page


def test_a_broker_down_at_the_upload_leaves_the_job_queued_not_a_500(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from channels import tasks

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.import_run, "delay", down)
    client.force_login(world.users["head"])
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, csv_bytes([row()]), "x.csv")
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.QUEUED
    assert "hx-trigger" in client.get(response["Location"]).content.decode()
