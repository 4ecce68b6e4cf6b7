"""Selectors of the notices page: the user's notices grouped by case and kind, with the
case's current status (a notice about what no longer waits says so)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from .notifications import notifications_visible

# What each kind of notice asks for, and the status the case has while it still does.
NOTICE_KINDS = {
    "case.assigned": (_("Назначено организации"), "assigned"),
    "case.reassignment_requested": (_("Запрос переназначения"), "new"),
    "case.answer_submitted": (_("Ответ ждёт проверки"), "on_review"),
    "case.approval_requested": (_("Ответ ждёт согласования"), "on_approval"),
    "case.answer_returned": (_("Ответ возвращён"), "in_progress"),
    "case.reopened": (_("Возвращено заявителем"), "in_progress"),
    "case.interim_answer": (_("Промежуточный ответ"), None),
    "case.interim_published": (_("Промежуточный ответ опубликован"), None),
    "case.interim_returned": (_("Промежуточный ответ возвращён"), None),
    "case.promise_check": (_("Проверка обещанного срока"), None),
    "case.fast_track_proposed": (_("Предложена повышенная важность"), None),
    "case.fast_track": (_("Повышенная важность"), None),
    "case.note": (_("Внутренняя заметка"), None),
    "note.ready": (_("Записка ждёт согласования"), None),
    "calendar.expiring": (_("Производственный календарь заканчивается"), None),
    "calendar.missing": (_("Нет производственного календаря"), None),
}


def _clock_kinds() -> dict:
    """The sweep's notices (``deadline.<event>``), labelled as ``DeadlineEvent`` says."""
    from deadlines.choices import DeadlineEvent

    return {f"deadline.{e.value}": (e.label, None) for e in DeadlineEvent}


NOTICE_KINDS.update(_clock_kinds())
NOTICE_GROUPS_PER_PAGE = 30
# The newest notices grouped on the page; older ones stay in the database.
NOTICE_WINDOW = 5000
_CASE_URL = re.compile(r"^/cases/(\d+)/")


def notice_case_id(url: str) -> int | None:
    """The case a notice links to (its URL), or None."""
    match = _CASE_URL.match(url or "")
    return int(match.group(1)) if match else None


def notice_groups(user, *, kind: str = "", unread_only: bool = False) -> list[dict]:
    """The user's notices grouped by case and kind, the newest group first: one row for
    «ответ ждёт проверки» on a case however many times it was sent."""
    from cases.models import Case

    qs = notifications_visible(user)
    if kind:
        qs = qs.filter(event=kind)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    rows = qs.order_by("-created_at", "-id").values(
        "id", "event", "title", "body", "url", "created_at", "read_at"
    )[:NOTICE_WINDOW]
    groups: dict[tuple, dict] = {}
    for row in rows:
        case_id = notice_case_id(row["url"])
        key = (case_id, row["event"]) if case_id else ("id", row["id"])
        group = groups.get(key)
        if group is None:
            label, waits_for = NOTICE_KINDS.get(row["event"], (row["event"], None))
            group = groups[key] = {
                "id": row["id"],
                "ids": [],
                "case_id": case_id,
                "event": row["event"],
                "kind": label,
                "waits_for": waits_for,
                "title": row["title"],
                "body": row["body"],
                "url": row["url"],
                "at": row["created_at"],
                "count": 0,
                "unread": 0,
            }
        group["ids"].append(row["id"])
        group["count"] += 1
        group["unread"] += row["read_at"] is None
    result = list(groups.values())
    case_ids = {g["case_id"] for g in result if g["case_id"]}
    cases = {
        c.pk: c
        for c in Case.objects.visible_to(user)
        .filter(pk__in=case_ids)
        .only("pk", "status", "registration_number")
    }
    for group in result:
        case = cases.get(group["case_id"])
        group["case"] = case
        # «Ответ ждёт согласования» on a case already approved says that it no longer waits.
        group["settled"] = bool(
            case is not None and group["waits_for"] and case.status != group["waits_for"]
        )
    return result
