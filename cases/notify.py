"""Who is told what when a case moves. Called through ``transaction.on_commit`` by the
services, so a rolled-back transition tells nobody.

Each message is a ``Notification`` row (``mcu.notifications.notify``) whose key names the
event, the transition's CaseEvent and the recipient (DESIGN §4): a retried call writes
nothing twice. Delivery by e-mail and Telegram is the notifications task's job.
"""

from datetime import datetime

from django.db.models import Case, Q, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from mcu.choices import Role
from mcu.models import Notification, User
from mcu.notifications import notify

PROMISE_CHECK = "case.promise_check"
WITHDRAWN = "отозвано: срок изменён или ответ опубликован"


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
    subject: str | int | None = None,
) -> None:
    notify(
        recipients=[u for u in recipients if u.pk != actor_id],
        event=f"case.{event}",
        subject=event_id if subject is None else subject,
        title=title,
        body=body,
        url=reverse("cases:detail", args=[case.pk]),
        send_after=send_after,
    )


def _promise_subject(case, promised_at: datetime | None, event_id: int) -> str:
    """``<case>@<promised date, epoch seconds>:<event>``: the key names the case (so
    :func:`promise_reminders_withdraw` finds its reminders) and the date promised."""
    stamp = int(promised_at.timestamp()) if promised_at is not None else "none"
    return f"{case.pk}@{stamp}:{event_id}"


def promise_reminders_withdraw(case) -> int:
    """Withdraw the case's «обещанный срок» reminders not delivered yet; return how many.

    Call when the promise no longer stands: a new interim answer (before its own reminder
    is created), publication, rejection, closure. A pending e-mail or Telegram message is
    marked failed with the reason, and the row is marked read so the bell never counts
    it. Reminders already delivered or already shown in the bell are left alone.
    """
    now = timezone.now()
    waiting = (Notification.Status.PENDING, Notification.Status.SENDING)
    rows = Notification.objects.filter(
        event=PROMISE_CHECK, key__startswith=f"{PROMISE_CHECK}:{case.pk}@"
    ).filter(
        Q(email_status__in=waiting)
        | Q(telegram_status__in=waiting)
        | Q(send_after__gt=now, attempts=0, read_at__isnull=True)
    )

    def withdrawn(field: str) -> Case:
        return Case(
            When(**{f"{field}__in": waiting}, then=Value(Notification.Status.FAILED)),
            default=field,
        )

    return rows.update(
        email_status=withdrawn("email_status"),
        telegram_status=withdrawn("telegram_status"),
        last_error=WITHDRAWN,
        read_at=Coalesce("read_at", Value(now)),
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
    number = str(case)
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
        administrators = _administrators(case)
        _send(
            case,
            event="interim_answer",
            recipients=administrators,
            title=f"Промежуточный ответ по {number}",
            **common,
        )
        # Междуреченск, прил. 1 §2: «контроль за своевременным предоставлением информации,
        # фото и видео по проведенным работам, сроки которых были указаны в промежуточных
        # ответах» — a reminder to the administrators at the promised date.
        _send(
            case,
            event="promise_check",
            recipients=administrators,
            title=f"Наступил обещанный срок по {number}: проверьте фото и факты",
            send_after=promised_at,
            subject=_promise_subject(case, promised_at, event_id),
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
