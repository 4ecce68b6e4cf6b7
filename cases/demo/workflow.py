"""Drives a demo case to a target status through the real workflow services.

Each step runs at a plausible moment after the case was received (a few minutes to
moderate, an hour or so to accept, hours to answer…), passed to the service as ``at``, so
the events, the answers and the deadline clocks tell one consistent story: some cases are
answered in time, old open ones are overdue, as in a real desk.
"""

import functools
import struct
import zlib
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import services
from cases.choices import CaseKind, CaseStatus
from mcu.choices import Role

REACHABLE_STATUSES = [
    CaseStatus.ASSIGNED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.ON_REVIEW,
    CaseStatus.ON_APPROVAL,
    CaseStatus.APPROVED,
    CaseStatus.PUBLISHED,
    CaseStatus.CLOSED,
    CaseStatus.REJECTED,
]
WEIGHTED_STATUSES = (
    [CaseStatus.CLOSED] * 8
    + [CaseStatus.PUBLISHED] * 3
    + [CaseStatus.IN_PROGRESS] * 3
    + [CaseStatus.ASSIGNED] * 2
    + [CaseStatus.ON_REVIEW] * 2
    + [CaseStatus.REJECTED]
    + [CaseStatus.NEW]
)

REJECT_REASONS = [
    "Спам, реклама",
    "Не относится к компетенции органов местного самоуправления",
    "Дубликат ранее поступившего сообщения",
]
ANSWERS = [
    "Здравствуйте! Работы выполнены, фотоотчёт прилагаем. Спасибо за обращение.",
    "Добрый день! Специалисты выехали на место, неисправность устранена. Фото прилагается.",
    "Здравствуйте! Заявка выполнена подрядной организацией, результат на фото.",
]


@functools.cache
def _demo_png(width: int = 480, height: int = 300) -> bytes:
    """A small, visible PNG for the demo's «фото выполненных работ»: a sky, a grey road and
    a fresh patch of asphalt, drawn with zlib alone (no imaging library needed)."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type 0 for the scanline
        for x in range(width):
            if y < height * 0.45:  # sky, lighter towards the horizon
                shade = int(150 + 90 * y / (height * 0.45))
                pixel = (shade - 60, shade - 20, 255)
            elif abs(x - width / 2) < width * 0.18 and abs(y - height * 0.72) < height * 0.1:
                pixel = (40, 40, 44)  # the new patch
            else:
                noise = (x * 7 + y * 13) % 23
                pixel = (110 + noise, 110 + noise, 115 + noise)
            row.extend(pixel)
        rows.append(bytes(row))

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def executor_for(organisation):
    """A demo executor of the organisation (created, without a password, if it has none)."""
    User = get_user_model()
    user = (
        User.objects.filter(organisation=organisation, role=Role.EXECUTOR, is_active=True)
        .order_by("pk")
        .first()
    )
    if user is None:
        user = User(
            username=f"demo-exec-{organisation.pk}",
            role=Role.EXECUTOR,
            municipality_id=organisation.municipality_id,
            organisation=organisation,
            last_name="Исполнитель",
            first_name=str(organisation)[:150],
        )
        user.set_unusable_password()
        user.save()
    return user


# Minutes between the steps of a demo case: (low, high) of a uniform draw.
GAPS = {
    "register": (5, 600),
    "assign": (5, 90),
    "reject": (5, 60),
    "accept": (5, 120),
    "submit": (60, 600),
    "approve": (10, 120),
    "curator": (10, 120),
    "publish": (5, 60),
    "feedback": (60, 2000),
}


def _path(case, status) -> list[str]:
    """The steps that take a just-registered case to ``status``."""
    appeal = case.kind == CaseKind.APPEAL
    first = ["register", "assign"] if appeal else ["assign"]
    if status == CaseStatus.REJECTED:
        # Rejected after the assignment: it turned out to be a duplicate or not ours.
        return [*first, "reject"]
    steps = [*first, "accept", "submit", "approve", "curator", "publish", "feedback"]
    upto = (
        len(first)
        - 1
        + {
            CaseStatus.ASSIGNED: 1,
            CaseStatus.IN_PROGRESS: 2,
            CaseStatus.ON_REVIEW: 3,
            CaseStatus.ON_APPROVAL: 4,
            CaseStatus.APPROVED: 5,
            CaseStatus.PUBLISHED: 6,
            CaseStatus.CLOSED: 7,
        }[status]
    )
    path = steps[:upto]
    if appeal and "publish" in path:
        # 59-ФЗ: the answer closes the appeal; there is no resident's reaction to wait for.
        path = path[: path.index("publish") + 1]
    if "curator" in path and not services.approval_required(case):
        path.remove("curator")
    return path


def _times(start: datetime, path: list[str], rng, now: datetime) -> list[datetime]:
    """Plausible moments for the steps, squeezed to fit before ``now`` if need be, so a
    case always reaches its demo status (a fresh post is handled fast)."""
    gaps = [rng.randint(*GAPS[step]) for step in path]
    available = max((now - start).total_seconds() / 60 - 1, len(path) * 0.01)
    scale = min(1.0, available / sum(gaps))
    times, moment = [], start
    for gap in gaps:
        moment = moment + timedelta(minutes=gap * scale)
        times.append(moment)
    return times


def advance(case, status, *, users, organisation, category, district, rng) -> None:
    """Take ``case`` (just registered) to ``status`` through the services."""
    if status == CaseStatus.NEW:
        return
    admin, curator = users["administrator"], users["curator"]
    executor = executor_for(organisation)
    now = timezone.now()
    path = _path(case, status)
    for step, at in zip(path, _times(case.received_at, path, rng, now), strict=True):
        if step == "register":
            services.case_register_appeal(case.pk, actor=admin, at=at)
        elif step == "assign":
            services.case_assign(
                case.pk,
                actor=admin,
                organisation=organisation,
                category=category,
                district=district,
                at=at,
            )
        elif step == "reject":
            services.case_reject(case.pk, actor=admin, reason=rng.choice(REJECT_REASONS), at=at)
        elif step == "accept":
            services.case_accept(case.pk, actor=executor, at=at)
        elif step == "submit":
            photo = SimpleUploadedFile("foto.png", _demo_png(), content_type="image/png")
            services.case_submit_answer(
                case.pk, actor=executor, text=rng.choice(ANSWERS), attachments=[photo], at=at
            )
        elif step == "approve":
            services.case_approve(case.pk, actor=admin, at=at)
        elif step == "curator":
            services.case_approve(case.pk, actor=curator, at=at)
        elif step == "publish":
            services.case_publish(case.pk, actor=admin, at=at)
            published = at
        elif step == "feedback":
            # Closed by two days of the resident's silence, or by a good rating.
            silence = published + timedelta(days=2, minutes=rng.randint(1, 30))
            if rng.random() < 0.5 and silence < now:
                services.case_auto_close(case.pk, at=silence)
            else:
                services.case_record_feedback(
                    case.pk, actor=admin, rating=rng.choice([4, 5, 5]), at=at
                )
