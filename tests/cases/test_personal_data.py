"""152-ФЗ: a resident's data erased on request and after the retention period, recorded in
the audit trail without the erased values."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent
from mcu.exceptions import InvalidInput


def _erasures(case):
    return CaseEvent.objects.filter(case=case, action="erase_personal_data")


def test_a_persons_data_is_erased_from_all_their_cases_on_request(world, make_case):
    mine = [
        make_case(author_name="Иван Петров", author_contacts="+7 913 000-00-01"),
        make_case(author_url="https://vk.com/id42", author_name="Ваня"),
    ]
    other = make_case(author_name="Иван Петров", author_contacts="+7 913 999-99-99")
    with pytest.raises(InvalidInput):
        services.person_erase(reason=" ", profile_url="https://vk.com/id42")
    count = services.person_erase(
        reason="Заявление № 15 от 01.12.2026",
        name="иван петров",
        contacts="+7 913 000-00-01",
        profile_url="https://vk.com/id42",
    )
    assert count == 2
    for case in mine:
        case.refresh_from_db()
        assert (case.author_name, case.author_url, case.author_contacts) == ("", "", "")
        event = _erasures(case).get()
        assert event.reason == "Заявление № 15 от 01.12.2026"
        assert "Петров" not in str(event.payload) and "913" not in str(event.payload)
    other.refresh_from_db()
    assert other.author_name == "Иван Петров"  # a namesake with other contacts stays


def test_the_command_checks_first_and_prints_no_personal_data(world, make_case, capsys):
    case = make_case(author_url="https://vk.com/id7", author_name="Сидоров")
    call_command("erase_person", profile="https://vk.com/id7", reason="Заявление № 3")
    out = capsys.readouterr().out
    assert case.registration_number in out and "Сидоров" not in out
    case.refresh_from_db()
    assert case.author_name == "Сидоров"
    call_command("erase_person", profile="https://vk.com/id7", reason="Заявление № 3", apply=True)
    case.refresh_from_db()
    assert case.author_name == "" and _erasures(case).count() == 1


def test_retention_erases_only_cases_finished_long_ago(world, make_case, settings):
    from cases.tasks import retention_erase

    settings.PERSONAL_DATA_RETENTION_DAYS = 365
    old, recent, open_case = (
        make_case(author_name="А"),
        make_case(author_name="Б"),
        make_case(author_name="В"),
    )
    now = timezone.now()
    Case.objects.filter(pk=old.pk).update(status="closed", closed_at=now - dt.timedelta(days=400))
    Case.objects.filter(pk=recent.pk).update(status="closed", closed_at=now - dt.timedelta(days=9))
    assert retention_erase() == 1
    assert retention_erase() == 0  # idempotent
    old.refresh_from_db(), recent.refresh_from_db(), open_case.refresh_from_db()
    assert (old.author_name, recent.author_name, open_case.author_name) == ("", "Б", "В")
    assert _erasures(old).get().actor is None
