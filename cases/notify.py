"""Who is told what when a case moves.

The services call these inside the transaction of the change: the ``Notification`` rows
(``mcu.notifications.notify``) are the outbox, committed or rolled back with the change,
so a crash after the commit loses no notice and a rolled-back step tells nobody. Only the
delivery (e-mail, Telegram) is enqueued after the commit, and a broker that is down then
costs nothing: the beat task delivers pending rows every minute.

Each row's key names the event, the transition's CaseEvent and the recipient (DESIGN §4):
a retried call writes nothing twice. The people come from ``mcu.people`` — the one answer
to «who works on this case and who is told».
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deadlines.calendars import calendar_for
from deadlines.engine import CalendarDataMissing, next_working_moment
from mcu.choices import Role
from mcu.models import Notification
from mcu.notifications import NotificationSpec, notifications_create, notify
from mcu.people import people_for_case, people_for_cases

logger = logging.getLogger(__name__)

PROMISE_CHECK = "case.promise_check"
WITHDRAWN = "отозвано: срок изменён или ответ опубликован"


def _deliver_after_commit() -> None:
    """Enqueue the delivery of the new rows once the change is committed — once per
    transaction, however many notices it wrote. A broker that is down is not the user's
    problem: the rows wait, beat delivers them."""
    connection = transaction.get_connection()
    if any(getattr(func, "desk_delivery", False) for _s, func, _r in connection.run_on_commit):
        return

    def enqueue() -> None:
        from mcu.tasks import deliver_notifications

        try:
            deliver_notifications.delay()
        except Exception as exc:  # kombu's errors differ by transport
            logger.warning("delivery not enqueued (beat will deliver): %s", exc)

    enqueue.desk_delivery = True
    transaction.on_commit(enqueue)


def _send(
    case,
    *,
    event: str,
    recipients,
    title: str,
    body: str = "",
    send_after: datetime | None = None,
    actor=None,
    subject: str | int | None = None,
) -> None:
    actor_id = getattr(actor, "pk", None)
    created = notify(
        recipients=[u for u in recipients if u.pk != actor_id],
        event=f"case.{event}",
        subject=subject,
        title=title,
        body=body,
        url=reverse("cases:detail", args=[case.pk]),
        send_after=send_after,
    )
    if created:
        _deliver_after_commit()


def working_moment(case, at: datetime) -> datetime | None:
    """When a reminder about ``case`` may reach people: at once on a fast-track case,
    else at the next working moment of its municipality (DESIGN §3)."""
    if case.fast_track:
        return None
    try:
        moment = next_working_moment(at, calendar_for(case.municipality))
    except CalendarDataMissing:
        return None
    return moment if moment > at else None


# -- one function per notice ----------------------------------------------------------------


def assigned(case, *, event, actor) -> None:
    _send(
        case,
        event="assigned",
        subject=event.pk,
        recipients=people_for_case(case).executors,
        title=_("Назначено вашей организации: %(number)s") % {"number": case},
        body=_(
            "Если сообщение не относится к вашей компетенции, запросите переназначение "
            "в течение 30 минут."
        ),
        actor=actor,
    )


def fast_track_proposed(case, *, event, actor) -> None:
    _send(
        case,
        event="fast_track_proposed",
        subject=event.pk,
        recipients=people_for_case(case).curators,
        title=_("Предложено отметить повышенную важность: %(number)s") % {"number": case},
        body=_("Повышенная важность определяется куратором (Междуреченск 3.8)."),
        actor=actor,
    )


def fast_track_proposed_many(pairs) -> None:
    """``fast_track_proposed`` for many ``(case, event)`` pairs proposed by the auto-rules
    of one registration or batch: one query for the people, one INSERT of the rows."""
    pairs = list(pairs)
    if not pairs:
        return
    people = people_for_cases([case for case, _e in pairs])
    created = notifications_create(
        NotificationSpec(
            recipient=user,
            event="case.fast_track_proposed",
            subject=event.pk,
            title=_("Предложено отметить повышенную важность: %(number)s") % {"number": case},
            body=_(
                "Предложено автоправилом. Повышенная важность определяется куратором "
                "(Междуреченск 3.8)."
            ),
            url=reverse("cases:detail", args=[case.pk]),
        )
        for case, event in pairs
        for user in people[case.pk].curators
    )
    if created:
        _deliver_after_commit()


def fast_track_set(case, *, event, actor) -> None:
    people = people_for_case(case)
    _send(
        case,
        event="fast_track",
        subject=event.pk,
        recipients=people.responsible + people.administrators,
        title=_("Повышенная важность: ответ в течение 4 часов — %(number)s") % {"number": case},
        actor=actor,
    )


def reassignment_requested(case, *, event, actor, reason: str) -> None:
    _send(
        case,
        event="reassignment_requested",
        subject=event.pk,
        recipients=people_for_case(case).administrators,
        title=_("Исполнитель просит переназначить %(number)s") % {"number": case},
        body=reason,
        actor=actor,
    )


def interim_submitted(case, *, event, actor) -> None:
    _send(
        case,
        event="interim_answer",
        subject=event.pk,
        recipients=people_for_case(case).administrators,
        title=_("Промежуточный ответ ждёт проверки: %(number)s") % {"number": case},
        actor=actor,
    )


def interim_published(case, *, event, actor, promised_at: datetime) -> None:
    people = people_for_case(case)
    _send(
        case,
        event="interim_published",
        subject=event.pk,
        recipients=people.responsible,
        title=_("Промежуточный ответ опубликован: %(number)s") % {"number": case},
        actor=actor,
    )
    # Междуреченск, прил. 1 §2: «контроль за своевременным предоставлением информации,
    # фото и видео по проведенным работам, сроки которых были указаны в промежуточных
    # ответах» — a reminder to the administrators at the promised date, in working hours.
    _send(
        case,
        event="promise_check",
        recipients=people.administrators,
        title=_("Наступил обещанный срок по %(number)s: проверьте фото и факты") % {"number": case},
        send_after=working_moment(case, promised_at) or promised_at,
        subject=_promise_subject(case, promised_at, event.pk),
        # A reminder for later is for every administrator, the publisher included.
        actor=None,
    )


def interim_returned(case, *, event, actor, reason: str) -> None:
    _send(
        case,
        event="interim_returned",
        subject=event.pk,
        recipients=people_for_case(case).responsible,
        title=_("Промежуточный ответ возвращён: %(number)s") % {"number": case},
        body=reason,
        actor=actor,
    )


def answer_submitted(case, *, event, actor) -> None:
    _send(
        case,
        event="answer_submitted",
        subject=event.pk,
        recipients=people_for_case(case).administrators,
        title=_("Ответ на проверке: %(number)s") % {"number": case},
        actor=actor,
    )


def approval_requested(case, *, event, actor) -> None:
    _send(
        case,
        event="approval_requested",
        subject=event.pk,
        recipients=people_for_case(case).curators,
        title=_("Ответ ждёт согласования: %(number)s") % {"number": case},
        actor=actor,
    )


def answer_returned(case, *, event, actor, reason: str) -> None:
    _send(
        case,
        event="answer_returned",
        subject=event.pk,
        recipients=people_for_case(case).executors,
        title=_("Ответ возвращён на доработку: %(number)s") % {"number": case},
        body=reason,
        actor=actor,
    )


def reopened(case, *, event, actor, reason: str) -> None:
    people = people_for_case(case)
    _send(
        case,
        event="reopened",
        subject=event.pk,
        recipients=people.executors + people.administrators,
        title=_("Заявитель недоволен ответом, сообщение снова в работе: %(number)s")
        % {"number": case},
        body=reason,
        actor=actor,
    )


def note_added(case, *, event, actor, text: str) -> None:
    """An internal note: the other side is told — the executor's organisation when the
    centre writes, the centre's administrators when the executor writes."""
    people = people_for_case(case)
    if getattr(actor, "role", None) == Role.EXECUTOR:
        recipients = people.administrators
    else:
        recipients = people.executors
    _send(
        case,
        event="note",
        subject=event.pk,
        recipients=recipients,
        title=_("Внутренняя заметка к %(number)s") % {"number": case},
        body=text[:500],
        actor=actor,
    )


def _promise_subject(case, promised_at: datetime | None, event_id: int) -> str:
    """``<case>@<promised date, epoch seconds>:<event>``: the key names the case (so
    :func:`promise_reminders_withdraw` finds its reminders) and the date promised."""
    stamp = int(promised_at.timestamp()) if promised_at is not None else "none"
    return f"{case.pk}@{stamp}:{event_id}"


def promise_reminders_withdraw(case, *, at: datetime | None = None) -> int:
    """Withdraw the case's «обещанный срок» reminders not delivered yet; return how many.

    Call when the promise no longer stands: a new interim answer published (before its
    own reminder is created), publication, rejection, closure. A pending e-mail or
    Telegram message is marked failed with the reason, and the row is marked read so the
    bell never counts it. Reminders already delivered or already shown are left alone.
    """
    now = at or timezone.now()
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
