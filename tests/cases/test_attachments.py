"""Attachments of answers: photos and PDFs recognised by their first bytes, size capped,
served only to users who see the case."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import services
from cases.attachments import sniff_content_type
from cases.models import Attachment, CaseEvent
from mcu.exceptions import InvalidInput
from tests.cases.conftest import PDF, PNG, png

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 32


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (WEBP, "image/webp"),
        (HEIC, "image/heic"),
        (PDF, "application/pdf"),
        (b"MZ\x90\x00", None),
        (b"<html>", None),
        (b"GIF89a", None),
    ],
)
def test_content_is_sniffed_from_the_first_bytes(head, expected):
    assert sniff_content_type(head[:32]) == expected


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("foto.jpg", b"MZ\x90\x00 this is a program", "image/jpeg"),  # the name lies
        ("scan.pdf", b"<html><script>alert(1)</script>", "application/pdf"),
        ("anim.gif", b"GIF89a\x01\x00", "image/gif"),
        ("empty.png", b"", "image/png"),
    ],
)
def test_a_file_that_is_not_a_photo_or_pdf_is_refused(
    world, make_case, drive, name, content, declared
):
    case = drive(make_case(), "in_progress")
    upload = SimpleUploadedFile(name, content, content_type=declared)
    with pytest.raises(InvalidInput) as exc:
        services.case_submit_answer(
            case.pk, actor=world.users["executor"], text="Готово", attachments=[upload]
        )
    assert exc.value.field == "attachments" and name in str(exc.value.message)
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert not CaseEvent.objects.filter(case=case, action="submit_answer").exists()


def test_a_file_over_the_size_limit_is_refused(world, make_case, drive, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    case = drive(make_case(), "in_progress")
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 2048, content_type="image/png")
    with pytest.raises(InvalidInput) as exc:
        services.case_submit_answer(
            case.pk, actor=world.users["executor"], text="Готово", attachments=[big]
        )
    assert exc.value.field == "attachments" and "больше допустимого" in str(exc.value.message)


def test_the_stored_type_is_the_sniffed_one_not_the_declared_one(world, make_case, drive):
    case = drive(make_case(), "in_progress")
    upload = SimpleUploadedFile("photo.bin", PNG, content_type="application/octet-stream")
    services.case_submit_answer(
        case.pk, actor=world.users["executor"], text="Готово", attachments=[upload]
    )
    attachment = Attachment.objects.get(answer__case=case)
    assert attachment.content_type == "image/png" and attachment.size == len(PNG)
    assert attachment.file.name.endswith(".png")


def test_an_attachment_is_served_only_to_users_who_see_the_case(client, world, make_case, drive):
    case = drive(make_case(), "on_review")
    attachment = Attachment.objects.get(answer__case=case)
    url = f"/cases/{case.pk}/attachments/{attachment.pk}/"
    client.force_login(world.users["administrator"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    client.force_login(world.users["executor_other"])
    assert client.get(url).status_code == 404
    client.force_login(world.users["curator_other"])
    assert client.get(url).status_code == 404


def test_too_many_files_are_refused(world, make_case, drive):
    case = drive(make_case(), "in_progress")
    with pytest.raises(InvalidInput) as exc:
        services.case_submit_answer(
            case.pk,
            actor=world.users["executor"],
            text="Готово",
            attachments=[png(f"{i}.png") for i in range(11)],
        )
    assert exc.value.field == "attachments"


@pytest.mark.parametrize(
    ("uploaded", "served"),
    [
        ("Акт.pdf.hta", "Акт.pdf"),
        ("Акт.exe", "Акт.pdf"),
        ("акт", "акт.pdf"),
        ("отчёт\u202efdp.exe", "отчётfdp.pdf"),
    ],
)
def test_a_file_is_served_under_the_extension_of_its_sniffed_type(
    client, world, make_case, drive, uploaded, served
):
    """«Акт.pdf.hta» must not download as .hta, which Windows runs."""
    case = drive(make_case(), "in_progress")
    upload = SimpleUploadedFile(uploaded, PDF, content_type="application/hta")
    services.case_submit_answer(
        case.pk, actor=world.users["executor"], text="Акт", attachments=[upload]
    )
    attachment = Attachment.objects.get(answer__case=case, content_type="application/pdf")
    client.force_login(world.users["administrator"])
    response = client.get(f"/cases/{case.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    from urllib.parse import unquote

    assert unquote(disposition).endswith(f"''{served}") or f'"{served}"' in disposition
    assert ".hta" not in unquote(disposition) and ".exe" not in unquote(disposition)
