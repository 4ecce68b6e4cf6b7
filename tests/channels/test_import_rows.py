"""The rows: each becomes a case through the ingest service, a duplicate, or a rejected
row with its reason — never an abort halfway (DESIGN §5 «Import»)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from cases.choices import CaseStatus, EventAction
from cases.models import Case, CaseEvent
from channels.import_services import import_job_create, import_job_run, import_report_rows
from channels.models import IngestRecord
from channels.models_import import ImportJob, ImportStatus
from deadlines.models import Deadline
from tests.factories import CategoryFactory

from .importdata import LOCAL, csv_bytes, local, mapping_default, row, xlsx_bytes


def run(world, content: bytes, *, name="export.csv", user="administrator", channel=""):
    job = import_job_create(
        actor=world.users[user],
        municipality=world.mun,
        upload=SimpleUploadedFile(name, content),
        mapping=mapping_default(),
        channel=channel,
    )
    import_job_run(job.pk)
    return ImportJob.objects.get(pk=job.pk)  # what was stored, not what is in memory


def reasons(job) -> dict[int, str]:
    return {entry["row"]: entry["reason"] for entry in job.rejected_rows}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_good_rows_become_cases_through_the_services(world, fmt):
    rows = [row(), row(**{"Источник": "Telegram"}), row(**{"Источник": "Госуслуги"})]
    content = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)
    job = run(world, content, name=f"export.{fmt}")
    assert (job.status, job.total_rows, job.processed_rows) == (ImportStatus.DONE, 3, 3)
    assert (job.created_count, job.duplicate_count, job.rejected_count) == (3, 0, 0)
    assert job.percent == 100
    cases = Case.objects.filter(source="incident-manager").order_by("external_id")
    assert [c.channel for c in cases] == ["vk", "telegram", "pos"]
    assert [c.kind for c in cases] == ["incident", "incident", "pos"]
    first = cases.get(external_id=rows[0]["Внешний ID"])
    assert first.status == CaseStatus.NEW
    assert first.municipality == world.mun
    assert first.text == rows[0]["Текст"]
    assert first.source_url == rows[0]["Ссылка"]
    assert first.author_name == "Пётр Жителев"
    assert first.registration_number.startswith("МЖ-")
    # The export's local time, read in the municipality's zone, to the minute.
    expected = dt.datetime.strptime(rows[0]["Дата поступления"], "%d.%m.%Y %H:%M")
    assert first.received_at == expected.replace(tzinfo=LOCAL)
    # Registered as the batch intake registers: first event, clocks, ingest record.
    event = CaseEvent.objects.get(case=first)
    assert (event.action, event.actor) == (EventAction.REGISTER, world.users["administrator"])
    assert {d.stage for d in Deadline.objects.filter(case=first)} == {"first_reply", "answer"}
    assert IngestRecord.objects.get(case=first).integration == world.users["administrator"]


def test_a_second_import_of_the_same_file_is_all_duplicates(world):
    content = csv_bytes([row() for _ in range(4)])
    first = run(world, content)
    assert first.created_count == 4
    before = Case.objects.count()
    second = run(world, content)
    assert (second.created_count, second.duplicate_count, second.rejected_count) == (0, 4, 0)
    assert Case.objects.count() == before


def test_rows_without_an_external_id_are_keyed_by_their_content(world):
    rows = [row(**{"Внешний ID": ""}) for _ in range(2)]
    assert run(world, csv_bytes(rows)).created_count == 2
    again = run(world, csv_bytes(rows))
    assert (again.created_count, again.duplicate_count) == (0, 2)
    assert Case.objects.filter(external_id__startswith="row-").count() == 2


def test_bad_rows_are_rejected_with_their_reason_and_the_rest_is_taken_in(world):
    future = (timezone.now().astimezone(LOCAL) + dt.timedelta(days=2)).strftime("%d.%m.%Y %H:%M")
    rows = [
        row(),  # 2
        row(**{"Текст": "   "}),  # 3
        row(**{"Дата поступления": "вчера"}),  # 4
        row(**{"Дата поступления": future}),  # 5
        row(**{"Источник": "Голубиная почта"}),  # 6
        row(**{"Ссылка": "не ссылка"}),  # 7
        row(**{"Дата поступления": ""}),  # 8
        row(**{"Внешний ID": "x" * 129}),  # 9
        row(),  # 10
    ]
    job = run(world, csv_bytes(rows))
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.duplicate_count, job.rejected_count) == (2, 0, 7)
    assert reasons(job) == {
        3: "Пустой текст сообщения.",
        4: "Дата поступления «вчера» не распознана (ожидается ДД.ММ.ГГГГ ЧЧ:ММ).",
        5: "Дата поступления в будущем.",
        6: "Неизвестный источник «Голубиная почта»: выберите канал при загрузке.",
        7: "«Ссылка»: Введите правильный URL.",
        8: "Не указана дата поступления.",
        9: "Внешний ID длиннее 128 символов.",
    }


def test_the_report_holds_the_rows_as_they_were_and_no_formula_runs(world):
    rows = [row(**{"Текст": '=HYPERLINK("http://evil")', "Источник": "Марс"})]
    job = run(world, csv_bytes(rows))
    headers, report = import_report_rows(job)
    assert headers[:4] == ["Строка", "Причина", "Внешний ID", "Дата поступления"]
    assert report[0][0] == 2
    assert report[0][1].startswith("Неизвестный источник «Марс»")
    assert report[0][2] == rows[0]["Внешний ID"]
    assert report[0][5] == '\'=HYPERLINK("http://evil")'


def test_the_channel_chosen_fills_rows_without_a_source(world):
    rows = [row(**{"Источник": ""}), row(**{"Источник": "ok"})]
    job = run(world, csv_bytes(rows), channel="phone")
    assert job.created_count == 2
    cases = Case.objects.filter(external_id__in=[r["Внешний ID"] for r in rows])
    assert sorted((c.channel, c.kind) for c in cases) == [("ok", "incident"), ("phone", "hotline")]
    no_default = run(world, csv_bytes([row(**{"Источник": ""})]))
    assert reasons(no_default) == {2: "Не указан источник, и канал по умолчанию не выбран."}


def test_the_category_is_found_by_its_code_or_its_name(world):
    heating = CategoryFactory(code="imp-heating", name="Отопление")
    CategoryFactory(code="imp-a", name="Прочее")
    CategoryFactory(code="imp-b", name="Прочее")  # a name of two categories suggests none
    rows = [
        row(**{"Категория": "imp-heating"}),
        row(**{"Категория": "ОТОПЛЕНИЕ"}),
        row(**{"Категория": "Прочее"}),
    ]
    run(world, csv_bytes(rows))
    found = {c.external_id: c.category for c in Case.objects.filter(source="incident-manager")}
    assert found[rows[0]["Внешний ID"]] == heating
    assert found[rows[1]["Внешний ID"]] == heating
    assert found[rows[2]["Внешний ID"]] is None
    hint = IngestRecord.objects.get(case__external_id=rows[2]["Внешний ID"]).category_hint
    assert hint == "Прочее"


def test_an_administrator_imports_only_the_kinds_they_coordinate(world):
    rows = [row(), row(**{"Источник": "Письмо"})]
    job = run(world, csv_bytes(rows), user="admin_incidents")
    assert job.created_count == 1
    assert reasons(job) == {3: "Вы не координируете этот вид сообщений."}


def test_a_key_of_another_municipality_is_a_rejected_row_not_its_case(world):
    from cases.services import case_register

    taken = row()
    case_register(
        municipality=world.mun_other,
        kind="incident",
        channel="vk",
        text="чужое",
        source="incident-manager",
        external_id=taken["Внешний ID"],
    )
    job = run(world, csv_bytes([taken, row()]))
    assert (job.created_count, job.rejected_count) == (1, 1)
    assert reasons(job) == {
        2: "«Внешний ID»: Сообщение с таким внешним ID из этого источника уже загружено другим МО."
    }


def test_a_large_file_goes_in_chunks_and_counts_its_progress(world, monkeypatch):
    from channels import import_services

    monkeypatch.setattr(import_services, "CHUNK_ROWS", 4)
    seen = []
    job = import_job_create(
        actor=world.users["head"],
        municipality=world.mun,
        upload=SimpleUploadedFile(
            "big.csv", csv_bytes([row() for _ in range(10)] + [row(**{"Текст": ""})])
        ),
        mapping=mapping_default(),
    )
    import_job_run(job.pk, progress=lambda j: seen.append((j.processed_rows, j.total_rows)))
    assert seen == [(0, 11), (4, 11), (8, 11), (11, 11)]
    job.refresh_from_db()
    assert (job.created_count, job.rejected_count, job.processed_rows) == (10, 1, 11)


def test_a_row_limit_lowered_after_the_upload_refuses_the_run_before_a_row_is_written(world):
    job = import_job_create(
        actor=world.users["head"],
        municipality=world.mun,
        upload=SimpleUploadedFile("x.csv", csv_bytes([row() for _ in range(3)])),
        mapping=mapping_default(),
    )
    with override_settings(IMPORT_MAX_ROWS=2):
        job = import_job_run(job.pk)
    assert job.status == ImportStatus.REFUSED
    assert "не больше 2" in job.error
    assert not Case.objects.filter(source="incident-manager").exists()


def test_a_finished_job_is_not_run_again(world):
    job = run(world, csv_bytes([row()]))
    assert import_job_run(job.pk).created_count == 1
    assert Case.objects.filter(source="incident-manager").count() == 1


def test_dates_are_read_in_the_usual_export_forms(world):
    when = timezone.now().astimezone(LOCAL).replace(second=0, microsecond=0) - dt.timedelta(days=2)
    forms = [
        when.strftime("%d.%m.%Y %H:%M:%S"),
        when.strftime("%d.%m.%Y %H:%M"),
        when.strftime("%Y-%m-%d %H:%M"),
        when.isoformat(),
    ]
    rows = [row(**{"Дата поступления": f}) for f in forms]
    run(world, csv_bytes(rows))
    got = {c.received_at for c in Case.objects.filter(source="incident-manager")}
    assert got == {when}
    assert local(0)  # the helper itself gives a time now, not in the future


def test_the_database_constraint_keeps_a_row_taken_in_meanwhile_one_case(world, monkeypatch):
    """Another import (or the API) registered the rows between the look-up and the INSERT:
    the unique constraint on (source, external_id) makes them duplicates, not new cases."""
    from channels import import_services

    content = csv_bytes([row(), row()])
    run(world, content)
    before = Case.objects.count()
    real = import_services._ImportIntake.existing
    calls = []

    def misses_the_first_time(self, keys):
        calls.append(keys)
        return {} if len(calls) == 1 else real(self, keys)

    monkeypatch.setattr(import_services._ImportIntake, "existing", misses_the_first_time)
    again = run(world, content)
    assert (again.created_count, again.duplicate_count, again.rejected_count) == (0, 2, 0)
    assert Case.objects.count() == before
    assert len(calls) > 1  # the batch went one by one after the constraint refused it


def test_a_job_already_taken_by_a_worker_is_not_run_twice(world):
    job = import_job_create(
        actor=world.users["head"],
        municipality=world.mun,
        upload=SimpleUploadedFile("x.csv", csv_bytes([row()])),
        mapping=mapping_default(),
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    assert import_job_run(job.pk).status == ImportStatus.RUNNING
    assert not Case.objects.filter(source="incident-manager").exists()


def test_beat_resends_a_queued_job_whose_task_never_came(world):
    from channels.tasks import import_resume

    def queued(minutes_ago: int):
        job = import_job_create(
            actor=world.users["head"],
            municipality=world.mun,
            upload=SimpleUploadedFile("x.csv", csv_bytes([row()])),
            mapping=mapping_default(),
        )
        ImportJob.objects.filter(pk=job.pk).update(
            created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
        )
        return job

    lost, fresh = queued(5), queued(0)
    assert import_resume() == 1  # eager in the tests: the run happens here
    assert ImportJob.objects.get(pk=lost.pk).status == ImportStatus.DONE
    assert ImportJob.objects.get(pk=fresh.pk).status == ImportStatus.QUEUED
