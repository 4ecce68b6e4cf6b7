"""What an answer may carry: photos and PDFs, recognised by their first bytes.

The file name and the browser's ``Content-Type`` are the sender's claims; the magic number
at the start of the file is the file. A ``.jpg`` that is really an executable is refused.
"""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mcu.exceptions import InvalidInput

MAX_FILES = settings.ATTACHMENT_MAX_FILES
#: ISO-BMFF brands of HEIF images as phone cameras write them
_HEIC_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"hevx",
    b"heim",
    b"heis",
    b"hevm",
    b"hevs",
    b"mif1",
    b"msf1",
}


def sniff_content_type(head: bytes) -> str | None:
    """The type a file's first bytes reveal, or None when it is none of the allowed ones."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def max_bytes() -> int:
    return getattr(settings, "ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)


def attachment_check(upload: UploadedFile) -> str:
    """The sniffed content type of an upload; ``InvalidInput`` on the ``attachments`` field
    naming the file when it is too big, empty or of a type that is not allowed."""
    name = upload.name or _("файл")
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise InvalidInput(
            _("Файл «%(name)s» больше допустимого (%(limit)s).")
            % {"name": name, "limit": filesizeformat(limit)},
            field="attachments",
        )
    upload.seek(0)
    head = upload.read(32)
    upload.seek(0)
    if not head:
        raise InvalidInput(_("Файл «%(name)s» пуст.") % {"name": name}, field="attachments")
    content_type = sniff_content_type(head)
    if content_type is None:
        raise InvalidInput(
            _("Файл «%(name)s»: допустимы только фото (JPEG, PNG, WebP, HEIC) и PDF.")
            % {"name": name},
            field="attachments",
        )
    return content_type


def attachments_check(uploads: list[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    if len(uploads) > MAX_FILES:
        raise InvalidInput(
            ngettext(
                "Не больше %(n)s файла к одному ответу.",
                "Не больше %(n)s файлов к одному ответу.",
                MAX_FILES,
            )
            % {"n": MAX_FILES},
            field="attachments",
        )
    return [(upload, attachment_check(upload)) for upload in uploads]
