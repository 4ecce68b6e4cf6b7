"""``{% case_clocks case %}`` for the card, ``{% case_clock_badge case %}`` for list rows.

Each clock is a badge whose *text* says its state (colour is never the only signal,
DESIGN §8): «Ответ: до 18.05.2026 17:00 (МСК+4) · осталось 2 ч 15 мин», «Ответ: срок … · просрочено
на 2 раб. дн. 3 ч», «… · на паузе до 08:00, осталось 5 ч», «Ответ: выполнено 12.05.2026
15:40 (МСК+4)». Working time is counted on the municipality's calendar for working units
(in working days of that calendar and hours), plain time for calendar units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from deadlines.calendars import calendar_for
from deadlines.choices import OBLIGATION_STAGES
from deadlines.engine import CalendarDataMissing, next_working_moment, working_seconds_between
from deadlines.models import Deadline
from deadlines.selectors import deadlines_for_case, running_clocks
from deadlines.state import AT_RISK, BREACHED, CANCELLED, MET, MET_LATE, PAUSED, clock_state
from mcu.timefmt import format_duration, format_local

register = template.Library()


@dataclass(frozen=True)
class ClockView:
    state: str  # running, paused, warned, breached, met, met_late, cancelled
    text: str  # the card's: stage, due date and time, what is left or overdue
    title: str
    css: str
    short: str = ""  # the list row's: due date and time, what is left or overdue


_CSS = {
    "running": "",
    "paused": "",
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


def working_days_hours(seconds: int, day_seconds: int) -> str:
    """Working time as its unit reads: «2 раб. дн. 3 ч» past a working day, else
    «5 ч 20 мин» (a working day is the calendar's, not 24 hours)."""
    seconds = abs(int(seconds))
    if day_seconds <= 0 or seconds < day_seconds:
        return hours_minutes(seconds)
    days, rest = divmod(seconds, day_seconds)
    hours = rest // 3600
    if hours:
        return _("%(days)s раб. дн. %(hours)s ч") % {"days": days, "hours": hours}
    return _("%(days)s раб. дн.") % {"days": days}


def duration_text(seconds: int, *, working: bool, day_seconds: int = 0) -> str:
    """Working time in working days and hours; plain time in days («дн.») past a day."""
    if working:
        return working_days_hours(seconds, day_seconds)
    if abs(seconds) >= 86_400:
        return format_duration(seconds)
    return hours_minutes(seconds)


def _working_day_seconds(calendar, around: datetime) -> int:
    """The length of a working day of ``calendar`` near ``around``: the longest of the
    next week's days (a shortened pre-holiday day is not the unit)."""
    day = around.astimezone(calendar.tz).date()
    longest = 0
    for offset in range(7):
        total = 0
        for start, end in calendar.intervals_on(day + timedelta(days=offset)):
            total += (end.hour * 3600 + end.minute * 60) - (start.hour * 3600 + start.minute * 60)
        longest = max(longest, total)
    return longest


def _left(clock: Deadline, case, now: datetime):
    """Seconds from now to due (negative when overdue), whether they are working time,
    and the calendar (None for calendar units)."""
    if clock.policy.is_working_time:
        try:
            calendar = calendar_for(case.municipality)
            return working_seconds_between(now, clock.due_at, calendar), True, calendar
        except CalendarDataMissing:
            return None
    return int((clock.due_at - now).total_seconds()), False, None


def _short_due(at: datetime, tz) -> str:
    return at.astimezone(tz).strftime("%d.%m %H:%M")


def clock_view(clock: Deadline, case, *, now: datetime | None = None) -> ClockView:
    """What a badge shows for one clock of ``case``; the state is ``deadlines.state``'s.

    The due date and time itself always; then what is left or how much is overdue, in
    working days and hours for working-time clocks («просрочено на 2 раб. дн. 3 ч»), and
    «на паузе до 08:00» for a working-time clock outside working hours."""
    now = now or timezone.now()
    tz = case.municipality.zone
    stage = clock.get_stage_display()
    due = format_local(clock.due_at, tz)
    title = _("%(stage)s: срок %(due)s") % {"stage": stage, "due": due}
    left = _left(clock, case, now)
    calendar = left[2] if left else None
    state = clock_state(clock, now=now, calendar=calendar)
    if state in (MET, MET_LATE):
        text = (
            _("%(stage)s: выполнено с опозданием %(at)s")
            if state == MET_LATE
            else _("%(stage)s: выполнено %(at)s")
        ) % {"stage": stage, "at": format_local(clock.met_at, tz)}
        short = _("выполнено %(at)s") % {"at": _short_due(clock.met_at, tz)}
        return ClockView(state, text, title, _CSS[state], short)
    if state == CANCELLED:
        text = _("%(stage)s: остановлено %(at)s") % {
            "stage": stage,
            "at": format_local(clock.cancelled_at, tz),
        }
        short = _("остановлено %(at)s") % {"at": _short_due(clock.cancelled_at, tz)}
        return ClockView(state, text, title, _CSS[state], short)
    short_due = _short_due(clock.due_at, tz)
    if left is None:
        text = _("%(stage)s: срок %(due)s") % {"stage": stage, "due": due}
        shown = BREACHED if state == BREACHED else "running"
        return ClockView(shown, text, title, _CSS[shown], short_due)
    seconds, working, _calendar = left
    day_seconds = _working_day_seconds(calendar, clock.due_at) if working else 0
    amount = duration_text(seconds, working=working, day_seconds=day_seconds)
    if state == BREACHED:
        if working and seconds == 0:
            # Past due outside working hours: no working time has gone by yet.
            amount = _("с %(due)s") % {"due": short_due}
            phrase = _("просрочено %(amount)s") % {"amount": amount}
        else:
            phrase = _("просрочено на %(amount)s") % {"amount": amount}
        shown, css = "breached", _CSS["breached"]
    elif state == AT_RISK or clock.warned_at is not None:
        phrase = _("осталось %(amount)s — срок близок") % {"amount": amount}
        shown, css = "warned", _CSS["warned"]
    elif state == PAUSED:
        resume = next_working_moment(now, calendar).astimezone(tz)
        at = (
            resume.strftime("%H:%M")
            if resume.date() == now.astimezone(tz).date()
            else resume.strftime("%d.%m %H:%M")
        )
        phrase = _("на паузе до %(at)s, осталось %(amount)s") % {"at": at, "amount": amount}
        shown, css = "paused", _CSS["paused"]
    else:
        phrase = _("осталось %(amount)s") % {"amount": amount}
        shown, css = "running", _CSS["running"]
    text = _("%(stage)s: до %(due)s · %(phrase)s") % {"stage": stage, "due": due, "phrase": phrase}
    if state == BREACHED:
        text = _("%(stage)s: срок %(due)s · %(phrase)s") % {
            "stage": stage,
            "due": due,
            "phrase": phrase,
        }
    short = f"{short_due} · {phrase}"
    return ClockView(shown, text, title, css, short)


@register.inclusion_tag("deadlines/_clocks.html")
def case_clocks(case) -> dict:
    """Every clock of the case: running, warned, breached, met (late) and stopped."""
    now = timezone.now()
    clocks = list(deadlines_for_case(case))
    return {"clocks": [clock_view(c, case, now=now) for c in clocks]}


@register.inclusion_tag("deadlines/_clocks.html")
def case_running_clocks(case) -> dict:
    """The clocks still running (due, at risk, breached, paused): the top of the card."""
    now = timezone.now()
    clocks = [c for c in deadlines_for_case(case) if c.met_at is None and c.cancelled_at is None]
    return {"clocks": [clock_view(c, case, now=now) for c in clocks], "running_only": True}


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
