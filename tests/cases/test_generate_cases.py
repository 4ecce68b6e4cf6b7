"""``manage.py generate_cases``: a synthetic history whose rows tell one consistent story
(SQLite by ``bulk_create``; PostgreSQL by ``COPY`` when DATABASE_URL points at it)."""

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Count, F

from cases.choices import CaseKind, CaseStatus, EventAction
from cases.demo.generate import SOURCE, add_working, next_working
from cases.models import Answer, Case, CaseEvent, Feedback
from deadlines.models import Deadline

NOW = dt.datetime(2026, 6, 15, 9, 30, tzinfo=dt.UTC)
COUNT = 200


@pytest.fixture
def generated(db):
    with time_machine.travel(NOW, tick=False):
        call_command(
            "generate_cases",
            count=COUNT,
            municipalities=2,
            seed=7,
            days=120,
            no_progress=True,
            stdout=StringIO(),
        )
    return Case.objects.filter(source=SOURCE)


def test_the_count_asked_for_is_written_with_every_case_registered(generated):
    assert generated.count() == COUNT
    assert generated.values("municipality").distinct().count() == 2
    registered = CaseEvent.objects.filter(case__source=SOURCE, action=EventAction.REGISTER)
    assert registered.count() == COUNT
    # One event per transition: the version counts the steps after the registration.
    events = CaseEvent.objects.filter(case__source=SOURCE).count()
    assert events == COUNT + sum(generated.values_list("version", flat=True))
    assert all(c.received_at <= NOW for c in generated)
    assert not generated.filter(received_at__lt=NOW - dt.timedelta(days=121)).exists()


def test_statuses_are_plausible_for_their_age(generated):
    statuses = Counter(generated.values_list("status", flat=True))
    assert set(statuses) <= set(CaseStatus.values)
    assert statuses[CaseStatus.CLOSED] > COUNT / 3  # most of four months is done
    assert len(statuses) >= 5
    assert not generated.filter(status=CaseStatus.NEW, organisation__isnull=False).exists()
    assert not generated.filter(status=CaseStatus.CLOSED, closed_at__isnull=True).exists()
    assert not generated.filter(status=CaseStatus.PUBLISHED, published_at__isnull=True).exists()
    # 59-ФЗ: appeals are never closed by the reaction wait, and get registered first.
    appeals = generated.filter(kind=CaseKind.APPEAL)
    assert not appeals.filter(status=CaseStatus.CLOSED).exists()
    assert not appeals.exclude(status=CaseStatus.NEW).filter(registered_at__isnull=True).exists()
    # The last event of a case leads to its status.
    for case in generated.exclude(status=CaseStatus.NEW)[:50]:
        last = case.events.exclude(to_status="").order_by("at", "id").last()
        assert last.to_status == case.status


def test_clocks_run_met_and_breached_as_the_sweep_would_have_marked_them(generated):
    clocks = Deadline.objects.filter(case__source=SOURCE)
    assert clocks.count() >= COUNT
    assert not clocks.filter(due_at__lte=F("started_at")).exists()
    assert not clocks.filter(met_at__lt=F("started_at")).exists()
    assert not clocks.filter(met_at__gt=NOW).exists()
    # Past due and still running: marked breached; a closed case runs no clock.
    running = clocks.filter(met_at__isnull=True, cancelled_at__isnull=True)
    assert not running.filter(due_at__lt=NOW - dt.timedelta(minutes=1), breached_at=None).exists()
    assert not running.filter(
        case__status__in=[CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.FORWARDED]
    ).exists()
    assert clocks.filter(met_at__gt=F("due_at"), breached_at__isnull=False).exists()  # late
    assert clocks.filter(met_at__lte=F("due_at"), breached_at__isnull=True).exists()  # in time
    assert not running.values("case", "stage").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_answers_and_feedback_match_the_status(generated):
    answered = generated.filter(
        status__in=[CaseStatus.ON_REVIEW, CaseStatus.PUBLISHED, CaseStatus.CLOSED]
    )
    assert not answered.filter(answers__isnull=True).exists()
    published = Answer.objects.filter(case__source=SOURCE, status=Answer.Status.PUBLISHED)
    assert published.exists()
    assert not published.filter(published_at__isnull=True).exists()
    assert Answer.objects.filter(case__source=SOURCE, status=Answer.Status.RETURNED).exists()
    feedback = Feedback.objects.filter(case__source=SOURCE)
    assert feedback.exists()
    assert not feedback.exclude(rating__range=(1, 5)).exists()
    for case in generated.filter(feedback__isnull=False).distinct()[:30]:
        assert case.satisfaction == case.feedback.order_by("at", "id").last().rating
    assert not feedback.filter(reopened=True, rating__gt=2).exists()
    assert generated.filter(repeat_count__gt=0).count() == feedback.filter(reopened=True).count()


def test_a_second_run_refuses_to_double_the_history(generated):
    with pytest.raises(CommandError, match=f"уже есть {COUNT}"):
        call_command("generate_cases", count=10, no_progress=True, stdout=StringIO())
    assert generated.count() == COUNT


def test_the_same_seed_gives_the_same_history(generated):
    first = list(generated.order_by("id").values_list("status", "kind", "channel"))
    Case.objects.filter(source=SOURCE).delete()
    with time_machine.travel(NOW, tick=False):
        call_command(
            "generate_cases",
            count=COUNT,
            municipalities=2,
            seed=7,
            days=120,
            no_progress=True,
            stdout=StringIO(),
        )
    again = list(generated.order_by("id").values_list("status", "kind", "channel"))
    assert again == first


def test_working_time_skips_nights_and_weekends():
    offset = 7 * 3600  # Asia/Novokuznetsk
    friday_1630 = int(dt.datetime(2026, 6, 12, 9, 30, tzinfo=dt.UTC).timestamp())
    due = add_working(friday_1630, 60 * 60, offset)  # one working hour
    assert dt.datetime.fromtimestamp(due, dt.UTC) == dt.datetime(2026, 6, 15, 1, 30, tzinfo=dt.UTC)
    saturday = int(dt.datetime(2026, 6, 13, 5, 0, tzinfo=dt.UTC).timestamp())
    assert dt.datetime.fromtimestamp(next_working(saturday, offset), dt.UTC) == dt.datetime(
        2026, 6, 15, 1, 0, tzinfo=dt.UTC
    )


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql",
    reason="the clones are written in SQL on PostgreSQL",
)
def test_cloned_history_keeps_every_invariant_of_a_simulated_one(db):
    from cases.demo.generate import RECENT_DAYS, generate

    count = 2500
    with time_machine.travel(NOW, tick=False):
        made = generate(
            count=count, municipalities=2, seed=11, days=200, now=NOW, stdout=None,
            simulate_up_to=500, pool_size=300,
        )  # fmt: skip
    cases = Case.objects.filter(source=SOURCE)
    assert made["simulated"] < count == cases.count()
    events = CaseEvent.objects.filter(case__source=SOURCE).count()
    assert events == count + sum(cases.values_list("version", flat=True))
    clones = cases.filter(pk__gt=cases.order_by("pk")[made["simulated"] - 1].pk)
    assert clones.count() == count - made["simulated"]
    # Finished stories only, received before the recent window, nothing after now.
    assert (
        not clones.filter(status__in=CaseStatus.open_values())
        .exclude(status=CaseStatus.PUBLISHED, kind=CaseKind.APPEAL)
        .exists()
    )
    assert not clones.filter(received_at__gte=NOW - dt.timedelta(days=RECENT_DAYS - 1)).exists()
    assert not CaseEvent.objects.filter(case__in=clones, at__gt=NOW).exists()
    clocks = Deadline.objects.filter(case__in=clones)
    assert clocks.exists()
    assert not clocks.filter(met_at__isnull=True, cancelled_at__isnull=True).exists()
    assert not clocks.filter(due_at__lte=F("started_at")).exists()
    # Each clone is its own case: number, external id and search text.
    for case in clones.order_by("?")[:20]:
        assert case.external_id == f"gen-{case.pk}"
        assert case.registration_number.endswith(f"-{case.pk:06d}")
        assert case.search_text.startswith(case.registration_number.lower())
        assert case.search_text.endswith(f" gen-{case.pk}")
        last = case.events.exclude(to_status="").order_by("at", "id").last()
        assert last.to_status == case.status
    for fb in Feedback.objects.filter(case__in=clones)[:50]:
        assert fb.answer.case_id == fb.case_id
    # What the analytics read of the rows (mcu.models.CaseCopy, cases.copies) is what the
    # services would have written: copies, answer times and breach marks.
    from django.db.models import Exists, OuterRef

    from deadlines.selectors import case_was_breached_condition
    from deadlines.state import q_was_breached
    from tests.cases.test_case_copy import stale_copies, stale_times

    assert stale_copies() == []
    with time_machine.travel(NOW, tick=False):
        assert stale_times() == []
        by_clocks = Exists(
            Deadline.objects.obligations().filter(q_was_breached(NOW), case=OuterRef("pk"))
        )
        marked = set(cases.filter(case_was_breached_condition(NOW)).values_list("pk", flat=True))
        assert marked == set(cases.filter(by_clocks).values_list("pk", flat=True))
        assert marked
