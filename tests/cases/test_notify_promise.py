"""The «обещанный срок» reminder: withdrawn when the promise no longer stands, and not in
the bell or the list before its date (nor any other reminder still waiting)."""

from datetime import timedelta
from types import SimpleNamespace

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cases import notify
from cases.notify import WITHDRAWN, promise_reminders_withdraw, working_moment
from mcu.models import Notification
from mcu.notifications import notifications_deliver
from tests.factories import CaseFactory

ADMINS = {"administrator", "admin_incidents"}


def _case(world):
    return CaseFactory(municipality=world.mun, organisation=world.org, kind="incident")


def _interim(case, world, event_id, promised_at):
    """The notices of a published interim answer (the event stands for its CaseEvent)."""
    notify.interim_published(
        case,
        event=SimpleNamespace(pk=event_id),
        actor=world.users["administrator"],
        promised_at=promised_at,
    )


def _when(case, moment):
    """Just after the reminder of ``moment`` is due: reminders wait for working hours."""
    return (working_moment(case, moment) or moment) + timedelta(minutes=1)


def _reminders(case):
    return Notification.objects.filter(
        event="case.promise_check", key__startswith=f"case.promise_check:{case.pk}@"
    )


def test_a_moved_promise_withdraws_the_old_reminder(world):
    case = _case(world)
    now = timezone.now()
    first, second = now + timedelta(days=2), now + timedelta(days=5)
    _interim(case, world, 1, first)
    old = list(_reminders(case))
    assert {n.recipient.username for n in old} == ADMINS
    assert all(str(int(first.timestamp())) in n.key for n in old)

    # The lead's order on a second interim answer: withdraw, then notify the new date.
    assert promise_reminders_withdraw(case) == 2
    _interim(case, world, 2, second)

    for n in Notification.objects.filter(pk__in=[n.pk for n in old]):
        assert n.email_status == Notification.Status.FAILED
        assert n.last_error == WITHDRAWN
        assert n.read_at is not None
    new = _reminders(case).exclude(pk__in=[n.pk for n in old])
    assert new.count() == 2
    assert all(n.email_status == Notification.Status.PENDING for n in new)

    # At the old date nothing about the old date goes out; at the new one, the new one does.
    mail.outbox.clear()
    notifications_deliver(now=_when(case, first))
    assert not any("обещанный срок" in m.subject for m in mail.outbox)
    notifications_deliver(now=_when(case, second))
    assert sum("обещанный срок" in m.subject for m in mail.outbox) == 2


def test_publication_withdraws_and_a_rerun_changes_nothing(world):
    case = _case(world)
    _interim(case, world, 1, timezone.now() + timedelta(days=2))
    assert promise_reminders_withdraw(case) == 2
    assert promise_reminders_withdraw(case) == 0
    mail.outbox.clear()
    notifications_deliver(now=timezone.now() + timedelta(days=5))
    assert not any("обещанный срок" in m.subject for m in mail.outbox)
    assert (
        not world.users["administrator"]
        .notifications.filter(event="case.promise_check", read_at__isnull=True)
        .exists()
    )


def test_withdraw_touches_only_this_case_and_undelivered_reminders(world):
    case, other = _case(world), _case(world)
    promised = timezone.now() + timedelta(days=2)
    _interim(case, world, 1, promised)
    _interim(other, world, 2, promised)
    # Already delivered: history stays.
    notifications_deliver(now=_when(case, promised))
    _interim(case, world, 3, promised + timedelta(days=1))
    assert promise_reminders_withdraw(case) == 2
    assert promise_reminders_withdraw(other) == 0
    statuses = sorted(_reminders(case).values_list("email_status", flat=True))
    assert statuses == ["failed", "failed", "sent", "sent"]
    assert set(_reminders(other).values_list("email_status", flat=True)) == {"sent"}


def test_the_same_date_promised_again_is_reminded_again(world):
    case = _case(world)
    promised = timezone.now() + timedelta(days=2)
    _interim(case, world, 1, promised)
    promise_reminders_withdraw(case)
    _interim(case, world, 2, promised)
    assert _reminders(case).filter(email_status="pending").count() == 2


def test_bell_and_list_hide_reminders_still_waiting(world, client):
    admin = world.users["administrator"]
    now = timezone.now()
    Notification.objects.create(key="a", recipient=admin, event="x", title="Сейчас")
    Notification.objects.create(
        key="b", recipient=admin, event="x", title="Прошло", send_after=now - timedelta(hours=1)
    )
    Notification.objects.create(
        key="c", recipient=admin, event="x", title="Позже", send_after=now + timedelta(days=2)
    )
    # A row being retried has a backoff in send_after: it was due, it stays visible.
    Notification.objects.create(
        key="d",
        recipient=admin,
        event="x",
        title="Повтор",
        send_after=now + timedelta(minutes=5),
        attempts=1,
    )
    client.force_login(admin)
    response = client.get(reverse("notifications"))
    assert response.context["desk_unread"] == 3
    titles = {g["title"] for g in response.context["groups"]}
    assert titles == {"Сейчас", "Прошло", "Повтор"}
    # «Прочитать все» does not swallow the reminder that is still waiting.
    client.post(reverse("notifications-read"))
    assert Notification.objects.get(key="c").read_at is None


def test_the_workflow_withdraws_the_reminder_when_the_answer_is_published(
    world, make_case, drive, django_capture_on_commit_callbacks
):
    """Through the services: an interim answer promises a date, the final answer is then
    published before it — the reminder for that date never goes out."""
    import datetime as dt

    from django.utils import timezone

    from cases import services
    from mcu.models import Notification

    u = world.users
    case = drive(make_case(), "in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        services.case_give_interim_answer(
            case.pk,
            actor=u["executor"],
            text="Выедем в пятницу",
            promised_at=timezone.now() + dt.timedelta(days=3),
        )
        services.case_publish_interim(case.pk, actor=u["administrator"])
    reminders = Notification.objects.filter(event="case.promise_check")
    assert reminders.filter(read_at__isnull=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_submit_answer(case.pk, actor=u["executor"], text="Готово")
        services.case_approve(case.pk, actor=u["administrator"])
        case.refresh_from_db()
        if case.status == "on_approval":
            services.case_approve(case.pk, actor=u["curator"])
        services.case_publish(case.pk, actor=u["administrator"])
    assert not reminders.filter(read_at__isnull=True).exists()
    assert set(reminders.values_list("email_status", flat=True)) == {"failed"}
