"""``manage.py import_cases``: the same import from the terminal, with a progress bar."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cases.models import Case
from channels.models_import import ImportJob

from .importdata import csv_bytes, mapping_default, row, xlsx_bytes


def command(*args, **options):
    out, err = StringIO(), StringIO()
    call_command("import_cases", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def export(tmp_path, world):
    mapping_default()
    path = tmp_path / "выгрузка.xlsx"
    path.write_bytes(xlsx_bytes([row(), row(), row(**{"Источник": "Марс"})]))
    return path


def test_the_command_imports_prints_its_progress_and_the_rejected_rows(export, world):
    out, err = command(str(export), municipality="mzh")
    job = ImportJob.objects.get()
    assert out.splitlines()[0] == (
        f"Импорт №{job.pk}: строк 3; создано 2, уже были 0, отклонено 1."
    )
    assert "  строка 4: Неизвестный источник «Марс»: выберите канал при загрузке." in out
    assert "░" * 30 + "   0 % 0/3 строк" in err  # the bar before the first chunk
    assert "█" * 30 + " 100 % 3/3 строк" in err
    assert (job.from_command, job.uploaded_by) == (True, world.users["integration"])
    assert Case.objects.filter(source="incident-manager", municipality=world.mun).count() == 2


def test_a_second_run_is_all_duplicates_and_the_report_goes_to_a_file(export, world, tmp_path):
    command(str(export), municipality="mzh", no_progress=True)
    report = tmp_path / "rejected.csv"
    out, err = command(
        str(export), municipality="mzh", user="head", report=str(report), no_progress=True
    )
    assert "создано 0, уже были 2, отклонено 1." in out
    assert err == ""
    with report.open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh, delimiter=";"))
    assert lines[0][:2] == ["Строка", "Причина"]
    assert lines[1][0] == "4"
    assert Case.objects.filter(source="incident-manager").count() == 2


def test_the_channel_option_fills_rows_without_a_source(tmp_path, world):
    mapping_default()
    path = tmp_path / "calls.csv"
    path.write_bytes(csv_bytes([row(**{"Источник": ""})], encoding="cp1251"))
    out, _err = command(str(path), municipality="mzh", channel="phone", no_progress=True)
    assert "создано 1" in out
    assert Case.objects.get(source="incident-manager").kind == "hotline"


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        ((), {"municipality": "nowhere"}, "Нет МО с кодом «nowhere»."),
        ((), {"municipality": "mzh", "user": "curator"}, "может администратор или руководитель"),
        ((), {"municipality": "mzh", "mapping": "Другое"}, "Нет сопоставления «Другое»."),
    ],
)
def test_bad_options_are_refused_in_russian(export, args, options, message):
    with pytest.raises(CommandError, match=message):
        command(str(export), *args, **options)
    assert not Case.objects.filter(source="incident-manager").exists()


def test_a_hostile_file_is_refused_and_nothing_is_written(tmp_path, world):
    mapping_default()
    path = tmp_path / "export.xlsx"
    path.write_bytes(b"%PDF-1.4 pretending")
    with pytest.raises(CommandError, match="Файл не принят: Это файл PDF, а не таблица"):
        command(str(path), municipality="mzh")
    assert not ImportJob.objects.exists()
