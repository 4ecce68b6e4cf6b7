"""The head of a centre runs it from the admin: staff, executors, districts, templates —
of their own municipality only, and never with admin rights to give away."""

import pytest
from django.utils import timezone

from mcu.models import Organisation, User
from tests.factories import OrganisationFactory, UserFactory


@pytest.fixture
def head(world):
    user = world.users["head"]
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def admin_client(client, head):
    client.force_login(head)
    return client


def test_head_sees_the_sections_of_the_centre(admin_client):
    page = admin_client.get("/admin/").content.decode()
    for section in (
        "/admin/mcu/organisation/",
        "/admin/mcu/user/",
        "/admin/mcu/district/",
        "/admin/deadlines/deadlinerule/",
        "/admin/cases/answertemplate/",
    ):
        assert section in page


def test_head_lists_and_edits_only_own_organisations(admin_client, world):
    listing = admin_client.get("/admin/mcu/organisation/").content.decode()
    assert world.org.name in listing
    assert world.org_other.name not in listing
    assert admin_client.get(
        f"/admin/mcu/organisation/{world.org_other.pk}/change/"
    ).status_code in (302, 404)
    response = admin_client.post(
        "/admin/mcu/organisation/add/",
        {
            "municipality": world.mun.pk,
            "name": "МУП «Новая организация»",
            "kind": "enterprise",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Organisation.objects.get(name="МУП «Новая организация»").municipality == world.mun


def test_head_cannot_put_an_organisation_into_another_municipality(admin_client, world):
    response = admin_client.post(
        "/admin/mcu/organisation/add/",
        {
            "municipality": world.mun_other.pk,
            "name": "Чужая",
            "kind": "enterprise",
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    assert not Organisation.objects.filter(name="Чужая").exists()


def test_head_adds_an_executor_to_own_municipality_without_admin_rights(admin_client, world):
    response = admin_client.post(
        "/admin/mcu/user/add/",
        {
            "username": "new_exec",
            "password1": "Pa55-word-long",
            "password2": "Pa55-word-long",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="new_exec")
    assert user.municipality == world.mun
    assert not user.is_staff and not user.is_superuser
    form = admin_client.get(f"/admin/mcu/user/{user.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in form
    assert 'name="is_staff"' not in form
    assert 'value="observer"' not in form  # region observers are the superuser's


def test_head_does_not_see_superusers_or_other_municipalities_people(admin_client, world):
    root = UserFactory(username="root", is_superuser=True, is_staff=True, role="")
    listing = admin_client.get("/admin/mcu/user/").content.decode()
    assert "curator_other" not in listing
    assert ">root<" not in listing
    assert admin_client.get(f"/admin/mcu/user/{root.pk}/change/").status_code in (302, 404)


def test_other_staff_roles_get_no_admin(client, world):
    curator = world.users["curator"]
    curator.is_staff = True
    curator.save()
    client.force_login(curator)
    assert client.get("/admin/mcu/organisation/").status_code == 403


def test_list_filter_offers_only_own_organisations(client, world):
    OrganisationFactory(municipality=world.mun_other, name="Саратовская контора")
    client.force_login(world.users["administrator"])
    page = client.get("/cases/").content.decode()
    assert world.org.name in page
    assert "Саратовская контора" not in page
    # Naming another municipality's organisation in the API is a 400 on the field.
    response = client.get("/api/v1/cases/", {"organization": world.org_other.pk})
    assert response.status_code == 400
    assert "organization" in response.json()


def test_a_superusers_correction_in_the_admin_lands_in_the_audit_trail(client, world):
    from cases.models import CaseEvent
    from cases.services import case_register

    case = case_register(
        municipality=world.mun,
        kind="incident",
        channel="vk",
        text="Яма на дороге",
        address="ул. Лазо, 1",
    )
    root = UserFactory(username="root", is_superuser=True, is_staff=True, role="")
    client.force_login(root)
    form = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert form.status_code == 200
    data = {
        "municipality": world.mun.pk,
        "kind": "incident",
        "channel": "vk",
        "source": "manual",
        "external_id": "",
        "registration_number": case.registration_number,
        # The admin shows and reads times in the user's municipality zone.
        "received_at_0": timezone.localtime(case.received_at, root.municipality.zone).strftime(
            "%d.%m.%Y"
        ),
        "received_at_1": timezone.localtime(case.received_at, root.municipality.zone).strftime(
            "%H:%M:%S"
        ),
        "text": "Яма на дороге",
        "address": "ул. Лазо, 3",
        "answers-TOTAL_FORMS": "0",
        "answers-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "1",
        "events-INITIAL_FORMS": "1",
    }
    # A field with a callable default carries its initial value in hidden inputs.
    data["initial-received_at_0"] = data["received_at_0"]
    data["initial-received_at_1"] = data["received_at_1"]
    data["events-0-id"] = case.events.get().pk
    data["events-0-case"] = case.pk
    response = client.post(f"/admin/cases/case/{case.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    case.refresh_from_db()
    assert case.address == "ул. Лазо, 3"
    edit = CaseEvent.objects.get(case=case, action="edit")
    assert edit.actor == root
    assert edit.payload == {"fields": ["address"], "via": "admin"}
    assert "лазо, 3" in case.search_text


def test_head_sets_the_kinds_an_administrator_coordinates_with_checkboxes(admin_client, world):
    user = world.users["administrator"]
    form = admin_client.get(f"/admin/mcu/user/{user.pk}/change/").content.decode()
    assert 'type="checkbox" name="kinds" value="incident"' in form
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "role": "administrator",
        "municipality": world.mun.pk,
        "kinds": ["incident", "pos"],
        "date_joined_0": "01.01.2026",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "01.01.2026",
        "initial-date_joined_1": "00:00:00",
    }
    response = admin_client.post(f"/admin/mcu/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.kinds == ["incident", "pos"]


def test_cases_and_notifications_are_the_superusers_alone_in_the_admin(client, world):
    from django.contrib.auth.models import Permission

    staff = world.users["administrator"]
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_case", "view_notification"])
    )
    client.force_login(staff)
    assert client.get("/admin/cases/case/").status_code == 403
    assert client.get("/admin/mcu/notification/").status_code == 403


def test_an_admin_correction_never_overwrites_a_step_taken_meanwhile(world):
    from cases.models import Case
    from cases.services import case_edit_by_admin, case_register
    from mcu.exceptions import StateConflict

    case = case_register(municipality=world.mun, kind="incident", channel="vk", text="Яма")
    loaded = Case.objects.get(pk=case.pk)
    Case.objects.filter(pk=case.pk).update(status="assigned", version=case.version + 1)
    loaded.address = "ул. Лазо, 3"
    with pytest.raises(StateConflict):
        case_edit_by_admin(case=loaded, actor=None, changed_fields=["address"])
    case.refresh_from_db()
    assert case.status == "assigned" and case.address == ""


def test_admin_titles_are_grammatical_russian(admin_client, world):
    # «Выберите категорию», not «Выберите категория» (the accusative after the verb).
    listing = admin_client.get("/admin/mcu/organisation/").content.decode()
    assert "Выберите организацию-исполнителя для изменения" in listing
    assert "организация-исполнитель для" not in listing
    add = admin_client.get("/admin/mcu/organisation/add/").content.decode()
    assert "Добавить организацию-исполнителя" in add
    categories = admin_client.get("/admin/mcu/category/").content.decode()
    assert "Выберите категорию для просмотра" in categories


def test_head_sees_only_own_clusters_routing_models_and_clocks(admin_client, world):
    from channels.models import ProblemCluster, RoutingModel
    from deadlines.models import Deadline, DeadlinePolicy
    from tests.factories import CaseFactory

    now = timezone.now()
    policy = DeadlinePolicy.objects.get(code="incident.answer")
    rows = {}
    for label, mun in (("own", world.mun), ("other", world.mun_other)):
        case = CaseFactory(municipality=mun, registration_number=f"ADM-{label}")
        cluster = ProblemCluster.objects.create(municipality=mun, primary=case)
        routing = RoutingModel.objects.create(
            municipality=mun, trained_at=now, sample_count=7, label_count=3, blob=b""
        )
        clock = Deadline.objects.create(
            case=case, stage="answer", started_at=now, due_at=now, policy=policy
        )
        rows[label] = {"problemcluster": cluster, "routingmodel": routing, "deadline": clock}

    for app, model in (
        ("channels", "problemcluster"),
        ("channels", "routingmodel"),
        ("deadlines", "deadline"),
    ):
        listing = admin_client.get(f"/admin/{app}/{model}/")
        assert listing.status_code == 200
        shown = {obj.pk for obj in listing.context["cl"].result_list}
        assert shown == {rows["own"][model].pk}, model
        other = rows["other"][model].pk
        # Not found, as in the desk: Django's admin sends the head back to the index.
        assert admin_client.get(f"/admin/{app}/{model}/{other}/change/").status_code == 302
        assert (
            admin_client.get(f"/admin/{app}/{model}/{rows['own'][model].pk}/change/").status_code
            == 200
        )

    # The municipality filter of the clusters offers no other municipality (with one
    # choice left Django leaves the filter out).
    page = admin_client.get("/admin/channels/problemcluster/").content.decode()
    assert world.mun_other.name not in page
    assert f"municipality__id__exact={world.mun_other.pk}" not in page
