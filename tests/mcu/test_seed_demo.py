"""``seed_demo`` builds a usable desk and a second run changes nothing."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from cases.choices import CaseStatus
from cases.models import Case
from deadlines.sweep import deadlines_sweep
from mcu.choices import Role
from mcu.models import Municipality, Notification, Organisation, User

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in ("mcu", "cases", "deadlines", "channels", "analytics")
    }


@pytest.fixture
def empty_desk():
    """The demo seeds a desk of its own: without the test personas (same usernames), which
    the session setup built; the test's rollback brings them back."""
    User.objects.all().delete()
    Municipality.objects.all().delete()


def test_seed_demo_is_complete_and_idempotent(empty_desk):
    call_command("seed_demo", quiet=True)
    first = _counts()
    call_command("seed_demo", quiet=True)
    assert _counts() == first

    zones = dict(Municipality.objects.values_list("slug", "timezone"))
    assert zones == {
        "mezhdurechensk": "Asia/Novokuznetsk",
        "labytnangi": "Asia/Yekaterinburg",
        "saratov": "Europe/Saratov",
        "stavropol": "Europe/Moscow",
        "meshchovsk": "Europe/Moscow",
    }
    mzh = Municipality.objects.get(slug="mezhdurechensk")
    assert Organisation.objects.filter(municipality=mzh).count() == 34

    users = {u.username: u for u in User.objects.all()}
    for name, role in [
        ("curator", Role.CURATOR),
        ("head", Role.HEAD),
        ("administrator", Role.ADMINISTRATOR),
        ("executor", Role.EXECUTOR),
        ("executor2", Role.EXECUTOR),
        ("observer", Role.OBSERVER),
        ("integration", Role.INTEGRATION),
    ]:
        assert users[name].role == role
        assert users[name].check_password("demo")
    assert users["executor"].organisation.name.startswith("Отдел координации городского хоз")
    assert users["executor2"].organisation != users["executor"].organisation
    assert users["observer"].municipality is None

    assert 200 <= Case.objects.filter(municipality=mzh).count() <= 1000
    for user in (users["executor"], users["executor2"]):
        statuses = set(
            Case.objects.filter(organisation=user.organisation).values_list("status", flat=True)
        )
        # A forwarded appeal leaves for another body: no organisation of ours has it.
        expected = set(CaseStatus.values) - {CaseStatus.NEW, CaseStatus.FORWARDED}
        assert statuses >= expected, user.username
    assert Case.objects.filter(municipality=mzh, status=CaseStatus.NEW).count() >= 10
    # Every case carries its audit trail from registration on.
    assert not Case.objects.filter(events__isnull=True).exists()

    # The demo starts settled: its invented history mails nobody, and the first sweep
    # of the new desk finds nothing left to mark.
    assert Notification.objects.exists()
    assert not Notification.objects.filter(email_status=Notification.Status.PENDING).exists()
    assert not Notification.objects.filter(telegram_status=Notification.Status.PENDING).exists()
    assert deadlines_sweep(now=timezone.now()).breached == 0
    # Nobody opens the demo to hundreds of unread notices about its invented history.
    unread = Notification.objects.filter(read_at__isnull=True)
    per_person = unread.values("recipient").annotate(n=Count("id")).values_list("n", flat=True)
    assert unread.exists() and max(per_person) <= 8

    # The curator finds last week's note approved, with the head's causes, and this
    # week's draft (built by the analytics services over the demo cases).
    from analytics.models import NoteStatus, WeeklyNote

    notes = list(WeeklyNote.objects.filter(municipality=mzh).order_by("date_from"))
    assert [n.status for n in notes] == [NoteStatus.APPROVED, NoteStatus.DRAFT]
    last_week, this_week = notes
    assert (this_week.date_from - last_week.date_from).days == 7
    assert last_week.approved_by == users["curator"] and last_week.causes
    assert last_week.content["total"] > 0 and last_week.content["sections"]
