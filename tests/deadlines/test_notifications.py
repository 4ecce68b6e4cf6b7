"""Delivery of notifications: claimed once, retried when it may pass, Telegram over HTTP.

Telegram is a real HTTP server on 127.0.0.1 (no mock of urllib): the test sees the exact
request the desk sends.
"""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from mcu import notifications
from mcu.models import Notification
from mcu.notifications import SENDING, notifications_deliver, notify
from tests.factories import UserFactory


class FakeTelegram:
    """A Bot API stand-in: records requests, answers with the queued status codes."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []
        self.statuses: list[int] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                fake.requests.append((self.path, json.loads(self.rfile.read(length))))
                status = fake.statuses.pop(0) if fake.statuses else 200
                body = {"ok": status == 200}
                if status != 200:
                    body["description"] = "Bad Request: chat not found"
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def telegram(settings, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    fake = FakeTelegram()
    settings.TELEGRAM_BOT_TOKEN = "123:TEST"
    settings.TELEGRAM_API_URL = fake.url
    yield fake
    fake.close()


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.org", telegram_chat_id="42")


def _notify(user, subject="1", **kwargs) -> Notification:
    notify(
        recipients=[user],
        event="deadline.breach",
        subject=subject,
        title="Срок нарушен: Ответ — T-1",
        body="Срок: 18.05.2026 17:00 (МСК+4)",
        url="/cases/1/",
        **kwargs,
    )
    return Notification.objects.get(key=f"deadline.breach:{subject}:user:{user.pk}")


def test_notify_is_idempotent(alice):
    _notify(alice)
    assert (
        notify(recipients=[alice, alice], event="deadline.breach", subject="1", title="again") == 0
    )
    assert Notification.objects.count() == 1


def test_two_deliveries_send_one_email(alice):
    row = _notify(alice)
    assert row.email_status == "pending"
    assert row.telegram_status == ""  # no bot token in the test settings
    first = notifications_deliver()
    second = notifications_deliver()
    assert (first.sent, second.claimed) == (1, 0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.org"]
    assert "Срок нарушен" in mail.outbox[0].subject
    row.refresh_from_db()
    assert (row.email_status, row.attempts) == ("sent", 1)


def test_the_email_links_to_the_case_with_the_desks_absolute_address(alice, settings):
    settings.DESK_BASE_URL = "https://desk.example.org/"
    _notify(alice)
    notifications_deliver()
    assert "https://desk.example.org/cases/1/" in mail.outbox[0].body


def test_a_worker_that_read_the_row_late_cannot_claim_it(alice):
    row = _notify(alice)
    now = timezone.now()
    stale = (row.pk, row.attempts, row.send_after)
    notifications_deliver(now=now)
    # A second worker read the same row before the first claimed it: its CAS fails.
    result = notifications.DeliveryResult()
    notifications._deliver_one(*stale, now, result)
    assert result.claimed == 0
    assert len(mail.outbox) == 1


def test_rows_wait_for_send_after(alice):
    later = timezone.now() + timedelta(hours=3)
    _notify(alice, send_after=later)
    assert notifications_deliver().claimed == 0
    assert notifications_deliver(now=later).sent == 1


def test_a_row_left_sending_by_a_dead_worker_is_sent_after_its_lease(alice, settings):
    row = _notify(alice)
    now = timezone.now()
    Notification.objects.filter(pk=row.pk).update(
        email_status=SENDING, attempts=1, send_after=now + timedelta(minutes=10)
    )
    assert notifications_deliver(now=now).claimed == 0
    assert notifications_deliver(now=now + timedelta(minutes=10)).sent == 1
    assert len(mail.outbox) == 1


def test_transient_email_errors_are_retried_with_backoff(alice, settings, monkeypatch):
    import smtplib

    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    settings.NOTIFICATION_RETRY_BACKOFF = 60

    def down(**kwargs):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr(notifications, "send_mail", down)
    row = _notify(alice)
    now = timezone.now()
    assert notifications_deliver(now=now).retried == 1
    row.refresh_from_db()
    assert (row.email_status, row.attempts) == ("pending", 1)
    assert row.send_after == now + timedelta(seconds=60)
    assert "connection lost" in row.last_error
    assert notifications_deliver(now=now + timedelta(seconds=59)).claimed == 0
    # The last allowed attempt fails too: recorded as failed, never tried again.
    assert notifications_deliver(now=now + timedelta(seconds=60)).failed == 1
    row.refresh_from_db()
    assert (row.email_status, row.attempts) == ("failed", 2)
    assert notifications_deliver(now=now + timedelta(days=1)).claimed == 0


def test_permanent_email_errors_are_not_retried(alice, monkeypatch):
    import smtplib

    def refused(**kwargs):
        raise smtplib.SMTPRecipientsRefused({"alice@example.org": (550, b"no such user")})

    monkeypatch.setattr(notifications, "send_mail", refused)
    row = _notify(alice)
    assert notifications_deliver().failed == 1
    row.refresh_from_db()
    assert row.email_status == "failed"


def test_telegram_message_over_real_http(alice, telegram):
    row = _notify(alice)
    assert row.telegram_status == "pending"
    result = notifications_deliver()
    assert result.sent == 2  # e-mail and Telegram
    [(path, payload)] = telegram.requests
    assert path == "/bot123:TEST/sendMessage"
    assert payload["chat_id"] == "42"
    assert payload["text"].startswith("Срок нарушен: Ответ — T-1")
    row.refresh_from_db()
    assert (row.email_status, row.telegram_status) == ("sent", "sent")


def test_telegram_5xx_is_retried_and_the_email_is_not_resent(alice, telegram):
    telegram.statuses = [502]
    row = _notify(alice)
    now = timezone.now()
    result = notifications_deliver(now=now)
    assert (result.sent, result.retried) == (1, 1)
    row.refresh_from_db()
    assert (row.email_status, row.telegram_status) == ("sent", "pending")
    assert "502" in row.last_error
    result = notifications_deliver(now=now + timedelta(minutes=1))
    assert result.sent == 1
    assert len(telegram.requests) == 2
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.telegram_status == "sent"


def test_telegram_4xx_is_permanent(alice, telegram):
    telegram.statuses = [400]
    row = _notify(alice)
    assert notifications_deliver().failed == 1
    row.refresh_from_db()
    assert row.telegram_status == "failed"
    assert "400" in row.last_error
    assert notifications_deliver(now=timezone.now() + timedelta(days=1)).claimed == 0


def test_telegram_unreachable_is_transient(alice, settings):
    settings.TELEGRAM_BOT_TOKEN = "123:TEST"
    settings.TELEGRAM_API_URL = "http://127.0.0.1:9"  # discard port: connection refused
    settings.NOTIFICATION_HTTP_TIMEOUT = 2
    row = _notify(alice)
    assert notifications_deliver().retried == 1
    row.refresh_from_db()
    assert row.telegram_status == "pending"


def test_deliver_task_is_thin(alice):
    from mcu.tasks import deliver_notifications

    _notify(alice)
    assert deliver_notifications.delay().get()["sent"] == 1
