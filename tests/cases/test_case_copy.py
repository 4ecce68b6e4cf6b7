"""The clocks, answers and feedback of a case carry its municipality and organisation
(``mcu.models.CaseCopy``) and every published answer its working time and first-reply
mark (``cases.copies``): after every kind of step they equal what is computed afresh from
the case and its answers, so the analytics read from these rows what the join would give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Min
from django.utils import timezone

from cases import copies, services
from cases.choices import CaseStatus
from cases.models import Answer, Case, Feedback
from deadlines.calendars import calendar_for
from deadlines.engine import working_seconds_between
from deadlines.models import Deadline
from mcu.models import Municipality, Organisation
from tests.cases.conftest import register_case

COPY_MODELS = (Deadline, Answer, Feedback)


def stale_copies() -> list[tuple[str, int]]:
    """Rows whose municipality or organisation is not their case's."""
    cases = {
        pk: (mun, org)
        for pk, mun, org in Case.objects.values_list("pk", "municipality_id", "organisation_id")
    }
    stale = []
    for model in COPY_MODELS:
        for pk, case_id, mun, org in model.objects.values_list(
            "pk", "case_id", "municipality_id", "organisation_id"
        ):
            if cases[case_id] != (mun, org):
                stale.append((model.__name__, pk))
    return stale


def stale_times() -> list[int]:
    """Published answers whose recorded working time or first-reply mark differs from
    the one computed afresh."""
    first = dict(
        Answer.objects.filter(published_at__isnull=False)
        .values("case_id")
        .annotate(first=Min("published_at"))
        .values_list("case_id", "first")
    )
    stale = []
    for answer in Answer.objects.filter(published_at__isnull=False).select_related(
        "case__municipality"
    ):
        case = answer.case
        seconds = working_seconds_between(
            case.received_at, answer.published_at, calendar_for(case.municipality)
        )
        expected_first = answer.published_at == first[case.pk]
        if (answer.working_seconds, answer.first_reply) != (max(0, seconds), expected_first):
            stale.append(answer.pk)
    return stale


def test_every_status_keeps_the_copies_and_the_times(case_in_status):
    assert Deadline.objects.exists() and Answer.objects.filter(published_at__isnull=False)
    assert stale_copies() == []
    assert stale_times() == []


def test_a_reassignment_moves_the_clocks_to_the_new_organisation(world, drive, category):
    case = drive(register_case(world), CaseStatus.ASSIGNED)
    other = Organisation.objects.create(municipality=world.mun, name="МУП «Водоканал»")
    services.case_assign(
        case.pk, actor=world.users["administrator"], organisation=other, category=category
    )
    clocks = Deadline.objects.filter(case=case)
    assert clocks.count() >= 2
    assert set(clocks.values_list("organisation_id", flat=True)) == {other.pk}
    assert stale_copies() == []


def test_an_edit_in_the_admin_moves_answers_and_feedback_too(world, drive, admin_user):
    """Published and rated, then a superuser corrects the organisation on the card in the
    admin: the old answers, the clocks and the resident's feedback all follow the case."""
    case = drive(register_case(world), CaseStatus.PUBLISHED)
    services.case_record_feedback(case.pk, actor=world.users["administrator"], rating=5)
    other = Organisation.objects.create(municipality=world.mun, name="МУП «Водоканал»")
    case = Case.objects.get(pk=case.pk)
    case.organisation = other
    services.case_edit_by_admin(case=case, actor=admin_user, changed_fields=["organisation"])
    for model in COPY_MODELS:
        rows = model.objects.filter(case=case)
        assert rows.exists(), model.__name__
        assert set(rows.values_list("organisation_id", flat=True)) == {other.pk}, model.__name__
    assert stale_copies() == []


def test_a_reassignment_request_leaves_the_rows_without_an_organisation(world, drive):
    case = drive(register_case(world), CaseStatus.ASSIGNED)
    services.case_request_reassignment(case.pk, actor=world.users["executor"], reason="Не наше")
    assert set(Deadline.objects.filter(case=case).values_list("organisation_id", flat=True)) == {
        None
    }
    assert stale_copies() == []


def test_a_second_publication_is_no_first_reply(world, drive):
    """An interim answer published first, then the final one: only the interim is the
    first reply; each records its own working time."""
    u = world.users
    case = drive(register_case(world), CaseStatus.IN_PROGRESS)
    services.case_give_interim_answer(
        case.pk,
        actor=u["executor"],
        text="Работы запланированы.",
        promised_at=timezone.now() + dt.timedelta(days=3),
    )
    services.case_publish_interim(case.pk, actor=u["administrator"])
    interim = Answer.objects.get(case=case, kind=Answer.Kind.INTERIM)
    assert interim.first_reply is True and interim.working_seconds is not None
    assert stale_times() == []


def test_the_fill_of_the_migration_repairs_what_it_finds(case_in_status):
    """``copies_fill`` and ``answer_times_fill`` (the migration's and generate_cases'):
    blanked copies and times come back as the services wrote them."""
    Deadline.objects.update(organisation_id=None)
    Answer.objects.update(working_seconds=None, first_reply=False)
    assert stale_copies() and stale_times()
    copies.copies_fill(COPY_MODELS)
    written = copies.answer_times_fill(Answer, Municipality)
    assert written == Answer.objects.filter(published_at__isnull=False).count()
    assert stale_copies() == []
    assert stale_times() == []


@pytest.mark.parametrize("count", [1, 60])
def test_a_registration_writes_the_copies_of_its_clocks(world, count):
    """Single and batch registration (COPY on PostgreSQL from 50 rows) alike."""
    services.case_register_many(
        cases=[
            services.case_build(
                municipality=world.mun,
                kind="incident",
                channel="vk",
                text=f"Не вывезли мусор, двор {i}",
                received_at=timezone.now(),
            )
            for i in range(count)
        ]
    )
    assert Deadline.objects.filter(municipality=world.mun).count() >= count
    assert stale_copies() == []
