"""The sweep: mark breaches, warnings and escalations, and tell people (DESIGN §4).

Set-based, never a loop over cases. Each step works in bounded batches: one indexed
``SELECT id … WHERE <due and unmarked> ORDER BY … LIMIT n FOR UPDATE SKIP LOCKED`` and one
conditional ``UPDATE … WHERE <still unmarked> AND id IN (…) RETURNING id``; the returned
clocks get their notifications in the same transaction:

* a crash between the two rolls both back, the next sweep redoes them;
* two sweeps at once (two beat processes, a retried task) cannot mark one clock twice —
  the rows are locked and the condition is re-checked by the UPDATE — and the
  notification keys are unique anyway;
* a sweep after an outage catches up: conditions are ``<= now``, not a window, and a
  breach is dated ``due_at`` (when the term really ran out), not the sweep's time.

The partial indexes of ``Deadline`` (``deadline_due_open``, ``deadline_warn_open``,
``deadline_breached_running``) keep each step cheap at millions of rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deadlines.engine import CalendarDataMissing, next_working_moment
from mcu.models import User
from mcu.notifications import NotificationSpec, notifications_create
from mcu.people import people_for_cases
from mcu.timefmt import format_local

from .calendars import calendar_for
from .choices import DeadlineEvent, Stage
from .models import Deadline

__all__ = ["SweepResult", "deadlines_sweep"]

logger = logging.getLogger(__name__)


def _config(name: str, default):
    return getattr(settings, "DEADLINES", {}).get(name, default)


@dataclass
class SweepResult:
    breached: int = 0
    warned: int = 0
    escalated_1: int = 0
    escalated_2: int = 0
    notifications: int = 0


# Each step: (event, SET clause, the condition of rows still to mark, the ORDER BY column).
# ``%(now)s`` is the sweep's time.
_OPEN = "met_at IS NULL AND breached_at IS NULL AND cancelled_at IS NULL"
_RUNNING_BREACHED = "met_at IS NULL AND cancelled_at IS NULL AND breached_at IS NOT NULL"
_STEPS = [
    (DeadlineEvent.BREACH, "breached_at = due_at", f"due_at <= %(now)s AND {_OPEN}", "due_at"),
    (
        DeadlineEvent.WARNING,
        "warned_at = %(now)s",
        f"warn_at <= %(now)s AND warned_at IS NULL AND {_OPEN}",
        "warn_at",
    ),
    (
        DeadlineEvent.ESCALATION_1,
        "escalation_level = 1, escalated_at = %(now)s",
        f"escalation_level = 0 AND escalate_1_at <= %(now)s AND {_RUNNING_BREACHED}",
        "escalate_1_at",
    ),
    (
        DeadlineEvent.ESCALATION_2,
        "escalation_level = 2, escalated_at = %(now)s",
        f"escalation_level = 1 AND escalate_2_at <= %(now)s AND {_RUNNING_BREACHED}",
        "escalate_2_at",
    ),
]


def mark_statements(set_clause: str, condition: str, order: str) -> tuple[str, str]:
    """The two statements of one marking step: pick a batch, then mark it.

    The pick locks its rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: two sweepers take
    different rows instead of queueing; SQLite's IMMEDIATE transactions serialize writers
    anyway). The mark repeats the condition, so a row that changed in between is left
    alone, and returns the ids it really marked. ``__IDS__`` stands for the picked ids.
    Two statements rather than ``UPDATE … WHERE id IN (SELECT … LIMIT n)``: PostgreSQL
    misplans that one (a nested loop over the LIMIT subquery) when the statistics of the
    just-updated rows are stale, quadratic at a few thousand rows.
    """
    table = connection.ops.quote_name(Deadline._meta.db_table)
    lock = ""
    if connection.features.has_select_for_update_skip_locked:
        lock = " FOR UPDATE SKIP LOCKED"
    elif connection.features.has_select_for_update:
        lock = " FOR UPDATE"
    pick = f"SELECT id FROM {table} WHERE {condition} ORDER BY {order} LIMIT %(limit)s{lock}"
    mark = f"UPDATE {table} SET {set_clause} WHERE {condition} AND id IN (__IDS__)"
    if connection.vendor in ("postgresql", "sqlite"):
        mark += " RETURNING id"
    return pick, mark


def _mark(set_clause: str, condition: str, order: str, now: datetime, limit: int) -> list[int]:
    """Mark one batch; return the ids marked by this call. Call inside a transaction."""
    params = {"now": connection.ops.adapt_datetimefield_value(now), "limit": limit}
    pick, mark = mark_statements(set_clause, condition, order)
    with connection.cursor() as cursor:
        cursor.execute(*_positional(pick, params))
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        sql, values = _positional(mark, params)
        cursor.execute(sql.replace("__IDS__", ", ".join(["%s"] * len(ids))), [*values, *ids])
        if connection.vendor in ("postgresql", "sqlite"):
            return [row[0] for row in cursor.fetchall()]
        return ids  # locked by the pick: nobody else changed them


def _positional(sql: str, params: dict) -> tuple[str, list]:
    """Named ``%(x)s`` placeholders → ``%s`` and a list (every backend takes those)."""
    out, values, i = [], [], 0
    while True:
        j = sql.find("%(", i)
        if j < 0:
            out.append(sql[i:])
            break
        k = sql.index(")s", j)
        out.append(sql[i:j])
        out.append("%s")
        values.append(params[sql[j + 2 : k]])
        i = k + 2
    return "".join(out), values


def deadlines_sweep(*, now: datetime | None = None, batch_size: int | None = None) -> SweepResult:
    """Mark breaches, warnings and escalations due at ``now`` and create notifications.

    Runs every minute from beat (``deadlines.sweep``). Each batch is its own transaction:
    a marking UPDATE and the notifications of the rows it returned.
    """
    now = now or timezone.now()
    limit = batch_size or _config("SWEEP_BATCH_SIZE", 1000)
    result = SweepResult()
    counters = {
        DeadlineEvent.BREACH: "breached",
        DeadlineEvent.WARNING: "warned",
        DeadlineEvent.ESCALATION_1: "escalated_1",
        DeadlineEvent.ESCALATION_2: "escalated_2",
    }
    # Breaches first: a clock that is both past warn_at and due_at after an outage gets a
    # breach, not a pointless warning; escalations then see this run's breaches.
    for event, set_clause, condition, order in _STEPS:
        while True:
            with transaction.atomic():
                ids = _mark(set_clause, condition, order, now, limit)
                if ids:
                    result.notifications += _notify(ids, event, now)
            setattr(result, counters[event], getattr(result, counters[event]) + len(ids))
            if len(ids) < limit:
                break
    if any((result.breached, result.warned, result.escalated_1, result.escalated_2)):
        logger.info("deadlines sweep at %s: %s", now.isoformat(), result)
    return result


# ---------------------------------------------------------------------------------------
# Who is told, and what
# ---------------------------------------------------------------------------------------


class _People:
    """The users a batch of clocks may notify: ``mcu.people`` (one query for the batch)."""

    def __init__(self, clocks: list[Deadline]) -> None:
        self.by_case = people_for_cases({c.case_id: c.case for c in clocks}.values())

    def for_event(self, clock: Deadline, event: str) -> list[User]:
        case = clock.case
        around = self.by_case[case.pk]
        people: list[User] = []
        if event in (DeadlineEvent.WARNING, DeadlineEvent.BREACH):
            people += around.responsible
            # The administrators who coordinate this kind of case (DESIGN §1).
            people += around.administrators
            if event == DeadlineEvent.BREACH:
                people += around.org_heads
        elif event == DeadlineEvent.ESCALATION_1:
            # The executor organisation's head; with no organisation (not assigned yet) the
            # head of the centre, as nobody else is above the administrators.
            people += around.org_heads or around.mcu_heads
        elif event == DeadlineEvent.ESCALATION_2:
            people += around.mcu_heads
            if case.fast_track:
                # Междуреченск 3.8: «Повышенная важность определяется куратором».
                people += around.curators
        seen, unique = set(), []
        for user in people:
            if user.pk not in seen:
                seen.add(user.pk)
                unique.append(user)
        return unique


_TITLES = {
    DeadlineEvent.WARNING: _("Срок истекает: %(stage)s — %(case)s"),
    DeadlineEvent.BREACH: _("Срок нарушен: %(stage)s — %(case)s"),
    DeadlineEvent.ESCALATION_1: _("Эскалация: нарушен срок «%(stage)s» — %(case)s"),
    DeadlineEvent.ESCALATION_2: _(
        "Эскалация руководителю МЦУ: нарушен срок «%(stage)s» — %(case)s"
    ),
}


def _case_url(case) -> str:
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return ""


def _send_after(clock: Deadline, event: str, now: datetime) -> datetime | None:
    """Notices to people wait for working hours unless the case is fast-track (DESIGN §3;
    Междуреченск 3.3: «Прием и обработка сообщений ведется только в рабочие дни»; 3.10:
    the urgent request «вне зависимости от дня недели и времени суток» is the fast-track
    one). A breach marked at 20:01 is told at the next working moment, and says when it
    happened."""
    if clock.case.fast_track:
        return None
    try:
        moment = next_working_moment(now, calendar_for(clock.case.municipality))
    except CalendarDataMissing:
        return None
    return moment if moment > now else None


_WHEN = {
    DeadlineEvent.WARNING: "warn_at",
    DeadlineEvent.BREACH: "due_at",
    DeadlineEvent.ESCALATION_1: "escalate_1_at",
    DeadlineEvent.ESCALATION_2: "escalate_2_at",
}


def _notify(ids: list[int], event: str, now: datetime) -> int:
    clocks = list(
        Deadline.objects.filter(pk__in=ids, policy__notify=True).select_related(
            "policy", "case__municipality", "case__organisation", "case__assignee"
        )
    )
    if not clocks:
        return 0
    people = _People(clocks)
    labels = {value: str(label) for value, label in Stage.choices}
    specs = []
    for clock in clocks:
        case = clock.case
        tz = case.municipality.zone
        title = str(_TITLES[event]) % {"stage": labels[clock.stage], "case": case}
        lines = [_("Срок: %(due)s") % {"due": format_local(clock.due_at, tz)}]
        if case.organisation_id:
            lines.append(_("Исполнитель: %(org)s") % {"org": case.organisation})
        if case.fast_track:
            lines.append(str(_("Повышенная важность (фаст-трек)")))
        send_after = _send_after(clock, event, now)
        happened = getattr(clock, _WHEN[event]) or now
        if send_after is not None:
            lines.append(
                _("Наступило: %(at)s (вне рабочего времени)") % {"at": format_local(happened, tz)}
            )
        body = "\n".join(lines)
        url = _case_url(case)
        # A warning is about one warning instant: a recomputed clock whose warn_at moved
        # (``_recompute`` clears warned_at) is warned again under a new key, while a re-run
        # of the same sweep still finds the key taken.
        subject: str | int = clock.pk
        if event == DeadlineEvent.WARNING and clock.warn_at is not None:
            subject = f"{clock.pk}@{int(clock.warn_at.timestamp())}"
        for user in people.for_event(clock, event):
            specs.append(
                NotificationSpec(
                    recipient=user,
                    event=f"deadline.{event}",
                    subject=subject,
                    title=title,
                    body=body,
                    url=url,
                    send_after=send_after,
                )
            )
    return notifications_create(specs)
