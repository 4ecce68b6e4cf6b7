"""Notifications: in-app rows, e-mail and Telegram delivery (DESIGN §4 "Enforcement").

One ``Notification`` row per unique key (event, subject, recipient), created with
``bulk_create(ignore_conflicts=True)``: a job that runs twice, a retried task or two beat
processes create nothing twice. The row *is* the in-app notification (the bell counts
unread rows); e-mail and Telegram are delivered later by :func:`notifications_deliver`.

Delivery follows Healthchecks' ``sendalerts``: each row is claimed with a compare-and-swap
UPDATE before anything is sent (pending → sending, attempts + 1, a lease in
``send_after``), so two workers never send one row twice; the row is written before and
after the send; transient errors (timeouts, connection errors, HTTP 5xx/429, SMTP 4xx) are
retried with exponential backoff up to ``NOTIFICATION_MAX_ATTEMPTS``; permanent ones
(HTTP 4xx, SMTP 5xx, no address) are recorded as failed at once. No network I/O happens
inside a transaction: every UPDATE here commits on its own (autocommit).
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from .models import Notification, User

__all__ = [
    "SENDING",
    "DeliveryError",
    "DeliveryResult",
    "NotificationSpec",
    "notification_key",
    "notifications_create",
    "notifications_deliver",
    "notifications_visible",
    "notify",
    "send_email",
    "send_telegram",
]

logger = logging.getLogger(__name__)

PENDING = Notification.Status.PENDING
SENT = Notification.Status.SENT
FAILED = Notification.Status.FAILED
# A claimed row being sent. Not one of Notification.Status's choices (that model is the
# ground floor's); the column is a plain CharField, so the value is stored as is.
SENDING = Notification.Status.SENDING

_CHANNELS = ("email", "telegram")


def _setting(name: str, default):
    return getattr(settings, name, default)


def notification_key(event: str, subject: str | int, user_id: int) -> str:
    """``deadline.breach:1234:user:7`` — event, the thing it is about, the recipient."""
    return f"{event}:{subject}:user:{user_id}"


@dataclass(frozen=True)
class NotificationSpec:
    """One notification to create; the key is derived from event, subject and recipient."""

    recipient: User
    event: str
    subject: str | int
    title: str
    body: str = ""
    url: str = ""
    send_after: datetime | None = None

    @property
    def key(self) -> str:
        return notification_key(self.event, self.subject, self.recipient.pk)


def _telegram_enabled() -> bool:
    return bool(_setting("TELEGRAM_BOT_TOKEN", ""))


def notifications_create(specs: Iterable[NotificationSpec]) -> int:
    """Create the rows whose keys do not exist yet; return how many were new.

    Safe to call twice with the same specs, and from two processes at once: the unique
    key decides (``ignore_conflicts``), so the count may be one high under a race, never a
    row.
    """
    unique: dict[str, NotificationSpec] = {}
    for spec in specs:
        unique.setdefault(spec.key, spec)
    if not unique:
        return 0
    keys = list(unique)
    existing: set[str] = set()
    for i in range(0, len(keys), 500):
        existing.update(
            Notification.objects.filter(key__in=keys[i : i + 500]).values_list("key", flat=True)
        )
    telegram = _telegram_enabled()
    rows = [
        Notification(
            key=key,
            recipient=spec.recipient,
            event=spec.event,
            title=spec.title[:300],
            body=spec.body,
            url=spec.url[:300],
            send_after=spec.send_after,
            email_status=PENDING if spec.recipient.email else "",
            telegram_status=PENDING if telegram and spec.recipient.telegram_chat_id else "",
        )
        for key, spec in unique.items()
        if key not in existing
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def notify(
    *,
    recipients: Iterable[User],
    event: str,
    subject: str | int,
    title: str,
    body: str = "",
    url: str = "",
    send_after: datetime | None = None,
) -> int:
    """Notify each recipient once about ``event`` of ``subject``; return how many rows."""
    return notifications_create(
        NotificationSpec(
            recipient=user,
            event=event,
            subject=subject,
            title=title,
            body=body,
            url=url,
            send_after=send_after,
        )
        for user in recipients
    )


def notifications_visible(user: User, *, now: datetime | None = None):
    """The user's in-app notifications whose time has come (the bell, the list).

    A reminder created ahead (``send_after`` in the future: waiting for working hours or
    for a promised date) is not shown before then. Once delivery has touched a row
    (``attempts > 0``) its ``send_after`` is a lease or a retry backoff, not a waiting
    time, so it stays visible.
    """
    now = now or timezone.now()
    return user.notifications.filter(
        Q(send_after__isnull=True) | Q(send_after__lte=now) | Q(attempts__gt=0)
    )


# ---------------------------------------------------------------------------------------
# Senders
# ---------------------------------------------------------------------------------------


class DeliveryError(Exception):
    """A send failed. ``permanent`` errors are recorded; the others are retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def _absolute(url: str) -> str:
    base = _setting("DESK_BASE_URL", "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


def _text(notification: Notification) -> str:
    parts = [notification.title, notification.body, _absolute(notification.url)]
    return "\n\n".join(p for p in parts if p)


def send_email(notification: Notification) -> None:
    """Send by e-mail through Django's EMAIL_BACKEND."""
    address = notification.recipient.email
    if not address:
        raise DeliveryError("у получателя нет адреса электронной почты", permanent=True)
    try:
        send_mail(
            subject=notification.title,
            message=_text(notification),
            from_email=None,
            recipient_list=[address],
            fail_silently=False,
        )
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"адрес отклонён: {exc}", permanent=True) from exc
    except smtplib.SMTPResponseException as exc:
        # SMTP 5xx: the server refuses for good; 4xx: try again later.
        raise DeliveryError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc


def send_telegram(notification: Notification) -> None:
    """Send through the Telegram Bot API (``sendMessage``), with urllib (no extra deps)."""
    token = _setting("TELEGRAM_BOT_TOKEN", "")
    chat_id = notification.recipient.telegram_chat_id
    if not token:
        raise DeliveryError("Telegram не настроен (TELEGRAM_BOT_TOKEN)", permanent=True)
    if not chat_id:
        raise DeliveryError("у получателя нет Telegram chat id", permanent=True)
    api = _setting("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
    payload = json.dumps(
        {"chat_id": chat_id, "text": _text(notification)[:4096], "disable_web_page_preview": True}
    ).encode()
    request = urllib.request.Request(
        f"{api}/bot{token}/sendMessage",
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    timeout = _setting("NOTIFICATION_HTTP_TIMEOUT", 10)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        # 429 (flood control) and 5xx pass; other 4xx (bad chat id, bot blocked) do not.
        transient = exc.code == 429 or exc.code >= 500
        raise DeliveryError(f"Telegram HTTP {exc.code}", permanent=not transient) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"Telegram недоступен: {exc}") from exc
    except ValueError as exc:
        raise DeliveryError(f"Telegram: непонятный ответ: {exc}") from exc
    if not body.get("ok", False):
        raise DeliveryError(f"Telegram: {body.get('description', 'ok=false')}", permanent=True)


SENDERS = {"email": send_email, "telegram": send_telegram}


# ---------------------------------------------------------------------------------------
# Delivery
# ---------------------------------------------------------------------------------------


@dataclass
class DeliveryResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _due(now: datetime) -> Q:
    return Q(send_after__isnull=True) | Q(send_after__lte=now)


def _waiting() -> Q:
    # A row left in "sending" by a worker that died is due again when its lease ends.
    return Q(email_status__in=[PENDING, SENDING]) | Q(telegram_status__in=[PENDING, SENDING])


def _claim_status(field: str) -> Case:
    return Case(When(**{f"{field}__in": [PENDING, SENDING]}, then=Value(SENDING)), default=F(field))


def notifications_deliver(*, now: datetime | None = None, limit: int = 200) -> DeliveryResult:
    """Send the e-mail and Telegram messages whose time has come (``send_after``).

    Call outside a transaction (a task, a command): each claim and each result commits on
    its own, and the network is touched only between them.
    """
    now = now or timezone.now()
    result = DeliveryResult()
    candidates = list(
        Notification.objects.filter(_due(now) & _waiting())
        .order_by("pk")
        .values_list("pk", "attempts", "send_after")[:limit]
    )
    for pk, attempts, send_after in candidates:
        _deliver_one(pk, attempts, send_after, now, result)
    return result


def _deliver_one(pk: int, attempts: int, send_after, now: datetime, result) -> None:
    lease = timedelta(seconds=_setting("NOTIFICATION_LEASE_SECONDS", 600))
    # Compare-and-swap claim (Healthchecks): only the worker whose UPDATE changes the row
    # sends it; another one that read the same attempts count updates nothing.
    claimed = (
        Notification.objects.filter(pk=pk, attempts=attempts)
        .filter(_due(now) & _waiting())
        .update(
            attempts=F("attempts") + 1,
            send_after=now + lease,
            email_status=_claim_status("email_status"),
            telegram_status=_claim_status("telegram_status"),
        )
    )
    if claimed != 1:
        return  # another worker got there first
    result.claimed += 1
    notification = Notification.objects.select_related("recipient").get(pk=pk)
    max_attempts = _setting("NOTIFICATION_MAX_ATTEMPTS", 5)
    updates: dict = {}
    errors: list[str] = []
    retry = False
    for channel in _CHANNELS:
        field = f"{channel}_status"
        if getattr(notification, field) != SENDING:
            continue
        try:
            if not notification.recipient.is_active:
                raise DeliveryError("получатель отключён", permanent=True)
            SENDERS[channel](notification)
        except DeliveryError as exc:
            errors.append(f"{channel}: {exc}")
            if exc.permanent or notification.attempts >= max_attempts:
                updates[field] = FAILED
                result.failed += 1
            else:
                updates[field] = PENDING
                retry = True
                result.retried += 1
        except Exception as exc:  # a bug in a sender: record it, retry a bounded number
            logger.exception("notification %s: %s sender crashed", pk, channel)
            errors.append(f"{channel}: {exc!r}")
            final = notification.attempts >= max_attempts
            updates[field] = FAILED if final else PENDING
            retry = retry or not final
            result.failed += final
            result.retried += not final
        else:
            updates[field] = SENT
            result.sent += 1
    if retry:
        backoff = _setting("NOTIFICATION_RETRY_BACKOFF", 60)
        updates["send_after"] = now + timedelta(seconds=backoff * 2 ** (notification.attempts - 1))
    else:
        updates["send_after"] = send_after
    if errors:
        updates["last_error"] = "\n".join(errors)[:2000]
    Notification.objects.filter(pk=pk).update(**updates)
