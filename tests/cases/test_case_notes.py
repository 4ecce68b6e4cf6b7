"""Internal notes between the centre and the executor (issue 11, «The card»): the
service and its audit line, who reads and writes them, the notice to the other side, the
card's form, the API, and the resident never seeing them (the published answer, Open311)."""

import pytest
from rest_framework.test import APIClient

from cases import services
from cases.models import CaseEvent, CaseNote
from channels.open311.services import request_as_georeport
from mcu.exceptions import InvalidInput, NotAllowed, NotFound
from mcu.models import Notification
from tests.cases.conftest import category, drive, make_case  # noqa: F401  (fixtures)

SECRET = "Подрядчик просит не звонить заявителю до пятницы"


@pytest.fixture
def assigned(world, make_case, drive):  # noqa: F811
    case = make_case()
    return drive(case, "assigned")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_note_is_stored_with_one_audit_line(world, assigned):
    admin = world.users["administrator"]
    note = services.case_note_add(case=assigned, actor=admin, text=f"  {SECRET}  ")
    assert note.text == SECRET and note.author == admin
    event = CaseEvent.objects.filter(case=assigned, action="note").get()
    assert event.actor == admin and event.payload == {"note_id": note.pk}
    # The trail shows who wrote when; the text stays in the note.
    assert SECRET not in str(event.payload) and not event.reason


def test_the_centre_writing_tells_the_executors_organisation(world, assigned):
    services.case_note_add(case=assigned, actor=world.users["administrator"], text=SECRET)
    told = set(Notification.objects.filter(event="case.note").values_list("recipient", flat=True))
    assert world.users["executor"].pk in told
    assert world.users["administrator"].pk not in told


def test_the_executor_writing_tells_the_administrators(world, assigned):
    services.case_note_add(case=assigned, actor=world.users["executor"], text=SECRET)
    told = set(Notification.objects.filter(event="case.note").values_list("recipient", flat=True))
    assert world.users["administrator"].pk in told
    assert world.users["executor"].pk not in told


@pytest.mark.parametrize("persona", ["administrator", "head", "curator", "executor"])
def test_the_centre_and_the_executor_write_notes(world, assigned, persona):
    services.case_note_add(case=assigned, actor=world.users[persona], text=SECRET)
    assert CaseNote.objects.filter(case=assigned).count() == 1


@pytest.mark.parametrize("persona", ["observer", "integration"])
def test_the_observer_and_an_integration_do_not(world, assigned, persona):
    with pytest.raises(NotAllowed):
        services.case_note_add(case=assigned, actor=world.users[persona], text=SECRET)
    assert not CaseNote.objects.exists()


def test_an_executor_of_another_organisation_gets_not_found(world, assigned):
    with pytest.raises(NotFound):
        services.case_note_add(case=assigned, actor=world.users["executor_other"], text=SECRET)


def test_an_empty_note_is_refused_naming_the_field(world, assigned):
    with pytest.raises(InvalidInput) as exc:
        services.case_note_add(case=assigned, actor=world.users["head"], text="   ")
    assert exc.value.field == "text"


def test_api_lists_and_adds_notes(world, assigned):
    url = f"/api/v1/cases/{assigned.pk}/notes/"
    response = api(world.users["executor"]).post(url, {"text": SECRET}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["text"] == SECRET
    listed = api(world.users["observer"]).get(url)
    assert listed.status_code == 200 and [n["text"] for n in listed.json()] == [SECRET]
    assert api(world.users["observer"]).post(url, {"text": "x"}).status_code == 403
    assert api(world.users["integration"]).get(url).status_code == 403
    assert api(world.users["executor_other"]).get(url).status_code == 404
    bad = api(world.users["head"]).post(url, {"text": ""}, format="json")
    assert bad.status_code == 400 and "text" in bad.json()


def test_the_card_shows_notes_and_its_form_adds_one(client, world, assigned):
    client.force_login(world.users["administrator"])
    response = client.post(f"/cases/{assigned.pk}/notes/", {"text": SECRET}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert SECRET in response.content.decode() and "Заметка добавлена" in response.content.decode()
    card = client.get(f"/cases/{assigned.pk}/").content.decode()
    assert "Внутренние заметки" in card and SECRET in card
    empty = client.post(f"/cases/{assigned.pk}/notes/", {"text": ""}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 400 and "Введите текст заметки." in empty.content.decode()


def test_the_observer_reads_notes_without_a_form(client, world, assigned):
    services.case_note_add(case=assigned, actor=world.users["head"], text=SECRET)
    client.force_login(world.users["observer"])
    card = client.get(f"/cases/{assigned.pk}/").content.decode()
    assert SECRET in card and "Добавить заметку" not in card
    assert client.post(f"/cases/{assigned.pk}/notes/", {"text": "x"}).status_code == 403


def test_the_resident_never_sees_a_note(world, make_case, drive):  # noqa: F811
    case = drive(make_case(), "approved")
    services.case_note_add(case=case, actor=world.users["administrator"], text=SECRET)
    services.case_note_add(case=case, actor=world.users["executor"], text=SECRET + " (2)")
    case = services.case_publish(case.pk, actor=world.users["administrator"])
    public = request_as_georeport(case)
    assert SECRET not in str(public)
    published = case.answers.get(status="published")
    assert SECRET not in published.text
    # The API's case card (what a portal integration reads) carries no notes either.
    body = api(world.users["integration"]).get(f"/api/v1/cases/{case.pk}/").content.decode()
    assert SECRET not in body
