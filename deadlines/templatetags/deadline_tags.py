"""``{% case_clocks case %}`` for the card, ``{% case_clock_badge case %}`` for list rows.

Each clock is a badge whose *text* says its state (colour is never the only signal,
DESIGN §8): «Ответ: осталось 2 ч 15 мин рабочего времени», «Ответ: просрочено на 1 ч 5 мин»,
«Ответ: выполнено 12.05.2026 15:40 (МСК+4)». Working time left is counted on the
municipality's calendar for working units, plain time for calendar units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from deadlines.calendars import calendar_for
from deadlines.choices import OBLIGATION_STAGES
from deadlines.engine import CalendarDataMissing, working_seconds_between
from deadlines.models import Deadline
from deadlines.selectors import deadlines_for_case, running_clocks
from deadlines.state import AT_RISK, BREACHED, CANCELLED, MET, MET_LATE, clock_state
from mcu.timefmt import format_duration, format_local

register = template.Library()


@dataclass(frozen=True)
class ClockView:
    state: str  # running, warned, breached, met, met_late, cancelled
    text: str
    title: str
    css: str


_CSS = {
    "running": "",
    "warned": "badge-warn",
    "breached": "badge-danger",
    "met": "badge-ok",
    "met_late": "",
    "cancelled": "",
}


def hours_minutes(seconds: int) -> str:
    """«27 ч 15 мин», «1 ч 05 мин», «2 ч», «40 мин» (absolute value)."""
    minutes = abs(int(seconds)) // 60
    hours, mins = divmod(minutes, 60)
    if hours and mins:
        return _("%(hours)s ч %(minutes)02d мин") % {"hours": hours, "minutes": mins}
    if hours:
        return _("%(hours)s ч") % {"hours": hours}
    return _("%(minutes)s мин") % {"minutes": mins}


def duration_text(seconds: int, *, working: bool) -> str:
    """Working time in hours (a working day is not 24 hours); plain time in days past a day."""
    if not working and abs(seconds) >= 86_400:
        return format_duration(seconds)
    return hours_minutes(seconds)


def _left(clock: Deadline, case, now: datetime) -> tuple[int, bool] | None:
    """Seconds from now to due (negative when overdue) and whether they are working time."""
    if clock.policy.is_working_time:
        try:
            calendar = calendar_for(case.municipality)
            return working_seconds_between(now, clock.due_at, calendar), True
        except CalendarDataMissing:
            return None
    return int((clock.due_at - now).total_seconds()), False


def clock_view(clock: Deadline, case, *, now: datetime | None = None) -> ClockView:
    """What a badge shows for one clock of ``case``; the state is ``deadlines.state``'s."""
    now = now or timezone.now()
    tz = case.municipality.zone
    stage = clock.get_stage_display()
    title = _("Срок: %(due)s") % {"due": format_local(clock.due_at, tz)}
    state = clock_state(clock, now=now)
    if state in (MET, MET_LATE):
        text = (
            _("%(stage)s: выполнено с опозданием %(at)s")
            if state == MET_LATE
            else _("%(stage)s: выполнено %(at)s")
        ) % {"stage": stage, "at": format_local(clock.met_at, tz)}
        return ClockView(state, text, title, _CSS[state])
    if state == CANCELLED:
        text = _("%(stage)s: остановлено %(at)s") % {
            "stage": stage,
            "at": format_local(clock.cancelled_at, tz),
        }
        return ClockView(state, text, title, _CSS[state])
    left = _left(clock, case, now)
    if left is None:
        text = _("%(stage)s: срок %(due)s") % {
            "stage": stage,
            "due": format_local(clock.due_at, tz),
        }
        shown = BREACHED if state == BREACHED else "running"
        return ClockView(shown, text, title, _CSS[shown])
    seconds, working = left
    suffix = " " + _("рабочего времени") if working else ""
    amount = duration_text(seconds, working=working)
    if state == BREACHED:
        text = _("%(stage)s: просрочено на %(amount)s%(suffix)s") % {
            "stage": stage,
            "amount": amount,
            "suffix": suffix,
        }
        return ClockView("breached", text, title, _CSS["breached"])
    if state == AT_RISK or clock.warned_at is not None:
        text = _("%(stage)s: осталось %(amount)s%(suffix)s — срок близок") % {
            "stage": stage,
            "amount": amount,
            "suffix": suffix,
        }
        return ClockView("warned", text, title, _CSS["warned"])
    text = _("%(stage)s: осталось %(amount)s%(suffix)s") % {
        "stage": stage,
        "amount": amount,
        "suffix": suffix,
    }
    return ClockView("running", text, title, _CSS["running"])


@register.inclusion_tag("deadlines/_clocks.html")
def case_clocks(case) -> dict:
    """Every clock of the case: running, warned, breached, met (late) and stopped."""
    now = timezone.now()
    clocks = list(deadlines_for_case(case))
    return {"clocks": [clock_view(c, case, now=now) for c in clocks]}


@register.inclusion_tag("deadlines/_clock_badge.html")
def case_clock_badge(case) -> dict:
    """The nearest running clock of a list row. Query-free when the list was built with
    ``deadlines.selectors.with_nearest_due`` (it prefetches ``running_deadlines``)."""
    running = getattr(case, "running_deadlines", None)
    if running is None:
        running = list(running_clocks().filter(case=case))
    # An obligation clock first (answer, first reply…); else the window or the wait.
    obligations = [c for c in running if c.stage in OBLIGATION_STAGES]
    nearest = min(obligations or running, key=lambda c: c.due_at, default=None)
    return {"clock": clock_view(nearest, case) if nearest is not None else None}
