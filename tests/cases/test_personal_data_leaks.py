"""Residents' names, profiles and phones never leave the roles that work with residents:
not in the analytics downloads (CSV, XLSX), not in notices and their e-mails, not in the
log (issue 12; 152-ФЗ ст. 7). A case goes through its whole path — ingest, moderation,
work, answer, approval, publication — and every notice, e-mail, log record and download
written on the way is searched for the resident's data."""

import io
import logging

import pytest
from django.core import mail
from django.utils import timezone

from cases.choices import CaseStatus
from channels.services import ingest_item
from mcu.models import Notification
from mcu.notifications import notifications_deliver

NAME = "Секретова Анна Павловна"
PHONE = "+7 999 123-45-67"
PROFILE = "https://vk.com/id987654321"
SECRETS = (NAME, PHONE, PROFILE)


@pytest.fixture
def travelled(world, drive, caplog):
    caplog.set_level(logging.DEBUG)
    result = ingest_item(
        actor=world.users["integration"],
        data={
            "channel": "vk",
            "source": "leaks",
            "external_id": "leak-1",
            "received_at": timezone.now(),
            "text": "Яма у подъезда",
            "author": {"name": NAME, "profile_url": PROFILE},
            "address": "ул. Кузнецкая, 5",
        },
    )
    case = result.case
    case.author_contacts = PHONE
    case.save(update_fields=["author_contacts"])
    case = drive(case, CaseStatus.PUBLISHED)
    notifications_deliver()
    return case


def _token(user) -> str:
    from mcu.tokens import api_token_create

    return api_token_create(user=user, name="test")[1]


def _assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} shows {secret!r}"


def test_notices_and_their_emails_carry_no_resident_data(travelled):
    notices = list(Notification.objects.all())  # only this test's: each test rolls back
    assert notices, "the path wrote no notice: the check would prove nothing"
    for notice in notices:
        _assert_clean(f"{notice.title}\n{notice.body}\n{notice.url}", f"notice {notice.key}")
    assert mail.outbox, "no e-mail was sent: the check would prove nothing"
    for message in mail.outbox:
        _assert_clean(f"{message.subject}\n{message.body}", f"e-mail to {message.to}")


def test_the_log_carries_no_resident_data(travelled, client, world, caplog):
    # A refused item is logged by Django (a 400): its body, with the resident, must not be.
    response = client.post(
        "/api/v1/ingest/",
        {"channel": "vk", "external_id": "leak-2", "author": {"name": NAME, "phone": PHONE}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {_token(world.users['integration'])}",
    )
    assert response.status_code == 400
    records = caplog.get_records("setup") + caplog.records
    # The path logs (the delivery at least); what it logs is searched.
    assert records, "nothing was logged: the check would prove nothing"
    for record in records:
        _assert_clean(record.getMessage(), f"log record {record.name}")


@pytest.mark.parametrize("page", ["rating", "top", "heatmap", "rising"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_analytics_downloads_carry_no_resident_data(travelled, client, world, page, fmt):
    client.force_login(world.users["head"])
    response = client.get(f"/analytics/{page}/", {"format": fmt, "preset": "month"})
    assert response.status_code == 200
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(response.content))
        text = "\n".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        )
    else:
        text = response.content.decode("utf-8-sig")
    _assert_clean(text, f"/analytics/{page}/?format={fmt}")


def test_the_case_card_shows_them_to_the_curator_so_the_search_means_something(
    travelled, client, world
):
    client.force_login(world.users["curator"])
    text = client.get(f"/cases/{travelled.pk}/").content.decode()
    assert NAME in text and PHONE in text
