"""Fixtures of the workflow tests: a category, a registered case, and ``drive`` that takes
a case to any status through the real services (one persona per role, tests/conftest.py)."""

import datetime as dt
import functools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import services
from cases.choices import CaseStatus
from cases.models import ApprovalRequirement
from tests.factories import CategoryFactory, DistrictFactory

# A valid 1×1 PNG: the photo of the work done.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a2b5c0"
    "5b0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(name: str = "foto.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def roads_repair():
    """«Дороги → Ремонт дорог» (kept when a module built it already, ``module_db``)."""
    from mcu.models import Category

    sector = Category.objects.filter(code="roads").first() or CategoryFactory(
        code="roads", name="Дороги"
    )
    return Category.objects.filter(code="roads-repair").first() or CategoryFactory(
        code="roads-repair", name="Ремонт дорог", parent=sector
    )


@pytest.fixture
def category(db):
    return roads_repair()


@pytest.fixture
def district(world):
    return DistrictFactory(municipality=world.mun, name="Западный")


@pytest.fixture
def make_case(world):
    return functools.partial(register_case, world)


@pytest.fixture
def require_approval(world):
    def require(kind: str = "incident"):
        ApprovalRequirement.objects.update_or_create(
            municipality=world.mun, kind=kind, defaults={"required": True}
        )

    return require


DRIVE_ORDER = [
    CaseStatus.NEW,
    CaseStatus.ASSIGNED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.ON_REVIEW,
    CaseStatus.ON_APPROVAL,
    CaseStatus.APPROVED,
    CaseStatus.PUBLISHED,
]


def drive_case(world, category, case, target: str, *, org=None):
    """Take ``case`` to ``target``: every step through the services, by the personas."""
    u = world.users
    goal = DRIVE_ORDER.index(target)
    if goal >= 1:
        case = services.case_assign(
            case.pk, actor=u["administrator"], organisation=org or world.org, category=category
        )
    if goal >= 2:
        case = services.case_accept(case.pk, actor=u["executor"])
    if goal >= 3:
        case = services.case_submit_answer(
            case.pk,
            actor=u["executor"],
            text="Яма заделана, фото прилагаем.",
            attachments=[png()],
        )
    if goal >= 4:
        case = services.case_approve(case.pk, actor=u["administrator"])
    if goal >= 5 and case.status == CaseStatus.ON_APPROVAL:
        case = services.case_approve(case.pk, actor=u["curator"])
    if goal >= 6:
        case = services.case_publish(case.pk, actor=u["administrator"])
    case.refresh_from_db()
    assert case.status == target, (case.status, target)
    return case


def register_case(world, kind: str = "incident", channel: str | None = None, mun=None, **fields):
    channel = (
        channel or {"incident": "vk", "pos": "pos", "appeal": "letter", "hotline": "phone"}[kind]
    )
    return services.case_register(
        municipality=mun or world.mun,
        kind=kind,
        channel=channel,
        text=fields.pop("text", "Яма на дороге у дома 5 по ул. Кузнецкой"),
        **fields,
    )


@pytest.fixture
def drive(world, category):
    """``drive(case, "published")``: every step through the services, by the personas."""
    return functools.partial(drive_case, world, category)


@pytest.fixture(scope="module")
def case_in_status(module_db):
    """``case_in_status[status]``: one incident in each status up to publication, built
    once for the module (the curator's approval required, so «on_approval» is reached)."""
    from tests.reference import World

    world = World.load()
    ApprovalRequirement.objects.update_or_create(
        municipality=world.mun, kind="incident", defaults={"required": True}
    )
    category = roads_repair()
    return {
        status: drive_case(world, category, register_case(world), status)
        if status != "new"
        else register_case(world)
        for status in DRIVE_ORDER
    }


def future(hours: int = 48) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)
