"""«Новое обращение»: what the centre takes in by hand opens on its card with its clocks
running (Лабытнанги 3.4.2 г, д; Междуреченск 1, ручной мониторинг)."""

import pytest

from cases.models import Case
from deadlines.models import Deadline


def _post(client, **data):
    return client.post("/cases/new/", data)


def test_a_hotline_call_is_registered_and_opens_on_its_card(client, world, make_case):
    client.force_login(world.users["administrator"])
    assert client.get("/cases/new/").status_code == 200
    response = _post(
        client,
        kind="hotline",
        channel="phone",
        text="Звонок: во дворе дома 4 по ул. Мира не горят фонари",
        author_name="Мария Иванова",
        author_contacts="+7 913 111-22-33",
    )
    case = Case.objects.get(kind="hotline")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert case.municipality == world.mun and case.status == "new"
    assert Deadline.objects.running().filter(case=case, stage="answer").exists()
    assert case.events.get().actor == world.users["administrator"]


def test_a_letter_is_registered_under_59fz_at_once_with_a_number(client, world, make_case):
    client.force_login(world.users["administrator"])
    _post(
        client,
        kind="appeal",
        channel="letter",
        text="Прошу отремонтировать крышу",
        register_appeal="on",
    )
    case = Case.objects.get(kind="appeal")
    assert case.registered_at is not None and "-О-" in case.registration_number
    assert set(Deadline.objects.running().filter(case=case).values_list("stage", flat=True)) == {
        "answer",
        "forward",
    }


def test_bad_input_is_a_form_error_in_russian_and_nothing_is_written(client, world, make_case):
    client.force_login(world.users["administrator"])
    response = _post(client, kind="hotline", channel="vk", text="Звонок")
    assert response.status_code == 400
    assert "не подходит" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.parametrize("persona", ["executor", "observer", "curator"])
def test_only_the_centres_staff_register(client, world, persona):
    client.force_login(world.users[persona])
    assert client.get("/cases/new/").status_code == 403


def test_an_action_address_opened_by_hand_leads_to_the_card(client, world, make_case):
    case = make_case()
    client.force_login(world.users["administrator"])
    response = client.get(f"/cases/{case.pk}/do/assign/")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
