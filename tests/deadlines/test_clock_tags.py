"""The clocks as badges: the text says the state, the colour only repeats it."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from deadlines import services
from deadlines.models import Deadline
from deadlines.selectors import with_nearest_due
from deadlines.templatetags.deadline_tags import clock_view
from tests.deadlines.conftest import nsk

MONDAY_9 = nsk(2026, 5, 18, 9, 0)


@pytest.fixture
def frozen_now(monkeypatch):
    """The tags read the clock themselves: pin it inside the shipped calendar years."""
    now = nsk(2026, 5, 20, 12, 0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


def _view(case, stage, now):
    return clock_view(Deadline.objects.get(case=case, stage=stage), case, now=now)


def test_working_time_left(make_case):
    case = make_case()
    services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    view = _view(case, "answer", nsk(2026, 5, 18, 14, 45))
    # The due date and time itself, then what is left.
    assert view.text == "Ответ: до 18.05.2026 17:00 (МСК+4) · осталось 2 ч 15 мин"
    assert view.short == "18.05 17:00 · осталось 2 ч 15 мин"
    assert view.title == "Ответ: срок 18.05.2026 17:00 (МСК+4)"
    assert (view.state, view.css) == ("running", "")
    # Over the night only working time counts, and the clock says it is paused till 08:00.
    services.deadline_start(case=case, stage="first_reply", started_at=nsk(2026, 5, 18, 16, 30))
    night = _view(case, "first_reply", nsk(2026, 5, 18, 20, 0))
    assert night.state == "paused"
    assert night.text == (
        "Первичный ответ: до 19.05.2026 08:30 (МСК+4) · на паузе до 19.05 08:00, осталось 30 мин"
    )
    # Early in the morning of the working day itself: «до 08:00», no date.
    early = _view(case, "first_reply", nsk(2026, 5, 19, 6, 0))
    assert early.short == "19.05 08:30 · на паузе до 08:00, осталось 30 мин"


def test_warned_clock_is_amber_and_says_so(make_case):
    case = make_case()
    services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    services.deadlines_sweep(now=nsk(2026, 5, 18, 15, 0))
    view = _view(case, "answer", nsk(2026, 5, 18, 15, 10))
    assert view.text == "Ответ: до 18.05.2026 17:00 (МСК+4) · осталось 1 ч 50 мин — срок близок"
    assert (view.state, view.css) == ("warned", "badge-warn")


def test_breached_clock_is_red_with_the_overdue_time(make_case):
    case = make_case()
    services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    services.deadlines_sweep(now=nsk(2026, 5, 18, 17, 0))
    # Overdue since 17:00 Monday; at 09:05 Tuesday that is 1 h 05 min of working time.
    view = _view(case, "answer", nsk(2026, 5, 19, 9, 5))
    assert view.text == "Ответ: срок 18.05.2026 17:00 (МСК+4) · просрочено на 1 ч 05 мин"
    assert (view.state, view.css) == ("breached", "badge-danger")
    # Past a working day the unit is the working day (9 h here) and hours, «раб. дн.».
    later = _view(case, "answer", nsk(2026, 5, 21, 11, 0))
    assert later.short == "18.05 17:00 · просрочено на 2 раб. дн. 3 ч"


def test_breached_outside_working_hours_before_any_working_time(make_case):
    case = make_case()
    services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    view = _view(case, "answer", nsk(2026, 5, 18, 19, 0))
    assert view.state == "breached"
    assert view.short == "18.05 17:00 · просрочено с 18.05 17:00"


def test_calendar_units_count_plain_time(make_case):
    case = make_case(fast_track=True)
    services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    assert _view(case, "answer", nsk(2026, 5, 18, 10, 0)).short == "18.05 13:00 · осталось 3 ч"
    assert _view(case, "answer", nsk(2026, 5, 18, 14, 5)).short == (
        "18.05 13:00 · просрочено на 1 ч 05 мин"
    )
    pos = make_case(kind="pos")
    services.deadline_start(case=pos, stage="answer", started_at=MONDAY_9)
    assert _view(pos, "answer", MONDAY_9).short.endswith("· осталось 21 дн. 8 ч")


def test_met_clock_shows_when_in_the_municipality_zone(make_case):
    case = make_case()
    services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    services.deadline_meet(case=case, stage="answer", at=nsk(2026, 5, 18, 15, 40))
    view = _view(case, "answer", nsk(2026, 5, 19, 9, 0))
    assert view.text == "Ответ: выполнено 18.05.2026 15:40 (МСК+4)"
    assert (view.state, view.css) == ("met", "badge-ok")


def test_met_late(make_case):
    case = make_case()
    services.deadline_start(case=case, stage="first_reply", started_at=MONDAY_9)
    services.deadlines_sweep(now=nsk(2026, 5, 18, 10, 0))
    services.deadline_meet(case=case, stage="first_reply", at=nsk(2026, 5, 18, 10, 20))
    view = _view(case, "first_reply", nsk(2026, 5, 18, 11, 0))
    assert view.text == "Первичный ответ: выполнено с опозданием 18.05.2026 10:20 (МСК+4)"


def test_case_clocks_tag_renders_every_clock(make_case, frozen_now):
    case = make_case()
    now = frozen_now
    services.deadline_start(case=case, stage="first_reply", started_at=now)
    services.deadline_meet(case=case, stage="first_reply", at=now + timedelta(minutes=1))
    services.deadline_start(case=case, stage="answer", started_at=now - timedelta(days=30))
    services.deadline_start(case=case, stage="reassign_window", started_at=now)
    services.deadline_cancel(case=case, stage="reassign_window")
    html = Template("{% load deadline_tags %}{% case_clocks case %}").render(
        Context({"case": case})
    )
    assert "Первичный ответ: выполнено" in html
    assert "просрочено на" in html
    assert 'data-state="breached"' in html
    assert "Окно переназначения: остановлено" in html
    assert html.count("<li") == 3


def test_no_clocks(make_case):
    html = Template("{% load deadline_tags %}{% case_clocks case %}").render(
        Context({"case": make_case()})
    )
    assert "Сроки не установлены" in html


def test_list_badge_is_query_free_with_the_selector(
    make_case, django_assert_num_queries, frozen_now
):
    from cases.models import Case

    now = frozen_now
    for _ in range(3):
        case = make_case()
        services.deadline_start(case=case, stage="answer", started_at=now)
        services.deadline_start(case=case, stage="first_reply", started_at=now)
    make_case()  # no clock at all
    template = Template(
        "{% load deadline_tags %}{% for c in cases %}{% case_clock_badge c %}|{% endfor %}"
    )
    cases = with_nearest_due(Case.objects.select_related("municipality"))
    # One query for the cases, one for their running clocks; the calendar is cached.
    from deadlines.calendars import calendar_for

    calendar_for(case.municipality)
    with django_assert_num_queries(2):
        html = template.render(Context({"cases": list(cases)}))
    parts = html.split("|")[:-1]
    assert len(parts) == 4
    assert sum("Первичный ответ: до" in p for p in parts) == 3
    assert sum("—" in p and "badge" not in p for p in parts) == 1
