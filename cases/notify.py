"""Who is told what when a case moves. Called through ``transaction.on_commit`` by the
services, so a rolled-back transition tells nobody.

Each message is a ``Notification`` row (``mcu.notifications.notify``) whose key names the
event, the transition's CaseEvent and the recipient (DESIGN §4): a retried call writes
nothing twice. Delivery by e-mail and Telegram is the notifications task's job.
"""

from datetime import datetime

from django.urls import reverse

from mcu.choices import Role
from mcu.models import User
from mcu.notifications import notify


def _administrators(case) -> list[User]:
    users = User.objects.filter(
        municipality_id=case.municipality_id, role=Role.ADMINISTRATOR, is_active=True
    )
    return [u for u in users if case.kind in u.coordinated_kinds]


def _executors(case) -> list[User]:
    if not case.organisation_id:
        return []
    return list(
        User.objects.filter(
            organisation_id=case.organisation_id, role=Role.EXECUTOR, is_active=True
        )
    )


def _curators(case) -> list[User]:
    return list(
        User.objects.filter(municipality_id=case.municipality_id, role=Role.CURATOR, is_active=True)
    )


def _send(
    case,
    *,
    event_id: int,
    event: str,
    recipients,
    title: str,
    body: str = "",
    send_after: datetime | None = None,
    actor_id: int | None = None,
) -> None:
    notify(
        recipients=[u for u in recipients if u.pk != actor_id],
        event=f"case.{event}",
        subject=event_id,
        title=title,
        body=body,
        url=reverse("cases:detail", args=[case.pk]),
        send_after=send_after,
    )


def case_notify(
    case,
    *,
    action: str,
    event_id: int,
    actor_id: int | None,
    reason: str = "",
    promised_at: datetime | None = None,
) -> None:
    """The messages of one transition (the event's id makes their keys unique)."""
    number = case.registration_number or f"#{case.pk}"
    common = {"event_id": event_id, "actor_id": actor_id}
    if action == "assign":
        _send(
            case,
            event="assigned",
            recipients=_executors(case),
            title=f"Назначено вашей организации: {number}",
            body="Если сообщение не относится к вашей компетенции, запросите переназначение "
            "в течение 30 минут.",
            **common,
        )
    elif action == "request_reassignment":
        _send(
            case,
            event="reassignment_requested",
            recipients=_administrators(case),
            title=f"Исполнитель просит переназначить {number}",
            body=reason,
            **common,
        )
    elif action == "interim_answer":
        _send(
            case,
            event="interim_answer",
            recipients=_administrators(case),
            title=f"Промежуточный ответ по {number}",
            **common,
        )
        # Междуреченск, прил. 1 §2: «контроль за своевременным предоставлением информации,
        # фото и видео по проведенным работам, сроки которых были указаны в промежуточных
        # ответах» — a reminder to the administrators at the promised date.
        _send(
            case,
            event="promise_check",
            recipients=_administrators(case),
            title=f"Наступил обещанный срок по {number}: проверьте фото и факты",
            send_after=promised_at,
            **common,
        )
    elif action == "submit_answer":
        _send(
            case,
            event="answer_submitted",
            recipients=_administrators(case),
            title=f"Ответ на проверке: {number}",
            **common,
        )
    elif action == "to_approval":
        _send(
            case,
            event="approval_requested",
            recipients=_curators(case),
            title=f"Ответ ждёт согласования: {number}",
            **common,
        )
    elif action == "return":
        _send(
            case,
            event="answer_returned",
            recipients=_executors(case),
            title=f"Ответ возвращён на доработку: {number}",
            body=reason,
            **common,
        )
    elif action == "reopen":
        _send(
            case,
            event="reopened",
            recipients=_executors(case) + _administrators(case),
            title=f"Заявитель недоволен ответом, сообщение снова в работе: {number}",
            body=reason,
            **common,
        )
