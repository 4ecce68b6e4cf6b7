"""The ingest records in the admin: read-only; the superuser sees all, the head of a
centre their municipality's alone (and no other municipality's accounts in the filter)."""

import pytest

from channels.models import IngestRecord
from tests.factories import CaseFactory, UserFactory

LIST = "/admin/channels/ingestrecord/"


@pytest.fixture
def records(world):
    own_case = CaseFactory(municipality=world.mun, registration_number="MZH-26-000101")
    other_case = CaseFactory(municipality=world.mun_other, registration_number="SRT-26-000202")
    other_integration = UserFactory(
        username="srt-portal", role="integration", municipality=world.mun_other
    )
    own = IngestRecord.objects.create(
        case=own_case,
        integration=world.users["integration"],
        category_hint="roads",
        attachment_urls=["https://example.org/a.jpg"],
    )
    other = IngestRecord.objects.create(
        case=other_case, integration=other_integration, category_hint="waste"
    )
    return own, other


@pytest.fixture
def head(world):
    head = world.users["head"]
    head.is_staff = True
    head.save(update_fields=["is_staff"])
    return head


def test_a_head_reads_own_municipality_records_only(client, head, records):
    own, other = records
    client.force_login(head)
    listing = client.get(LIST)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "MZH-26-000101" in html and "SRT-26-000202" not in html
    assert "srt-portal" not in html  # the filter lists only the accounts of visible rows
    page = client.get(f"{LIST}{own.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "https://example.org/a.jpg" in body
    assert 'name="_save"' not in body  # read-only
    # Another municipality's record is not there for the head.
    assert client.get(f"{LIST}{other.pk}/change/").status_code == 302


def test_nobody_adds_changes_or_deletes(admin_client, records):
    own, _other = records
    assert admin_client.get(LIST).status_code == 200
    assert "SRT-26-000202" in admin_client.get(LIST).content.decode()
    assert admin_client.get(f"{LIST}add/").status_code == 403
    assert admin_client.get(f"{LIST}{own.pk}/delete/").status_code == 403
    response = admin_client.post(f"{LIST}{own.pk}/change/", {"category_hint": "x"})
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.category_hint == "roads"


@pytest.mark.parametrize("persona", ["administrator", "executor", "curator", "integration"])
def test_other_staff_do_not_see_it(client, world, records, persona):
    user = world.users[persona]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    assert client.get(LIST).status_code == 403
