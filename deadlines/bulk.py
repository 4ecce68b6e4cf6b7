"""Clocks started set-based: a batch of freshly registered cases, one INSERT (STYLE §6.2).

``deadline_start`` answers for one clock and checks first whether the stage already
runs. A batch of new cases has no clocks yet, so the check is not needed: the rules are
read once, each clock's times are computed in Python (DESIGN §4: "``due_at`` is computed
in Python when the clock starts") before the cases are written, and all the rows go in
with one ``rows_insert`` (COPY on PostgreSQL). Like the rest of ``deadlines``
this module never imports ``cases`` (DESIGN §7): a case is whatever object the workflow
passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from deadlines.engine import CalendarDataMissing
from mcu.bulk import rows_insert

from .calendars import calendar_for
from .models import Deadline
from .selectors import deadline_rule_for, deadline_rules_active
from .services import clock_base, clock_times

__all__ = ["ClockNotStarted", "deadlines_insert_many", "deadlines_plan_many"]


@dataclass(frozen=True)
class ClockNotStarted:
    """A clock whose term needs a year without production-calendar data."""

    case: object
    stage: str
    error: CalendarDataMissing


def deadlines_plan_many(
    *, starts: Iterable[tuple[object, str, datetime]]
) -> tuple[list[Deadline], list[ClockNotStarted]]:
    """The clocks ``(case, stage, started_at)`` of new cases, computed and not written:
    the caller writes them (``deadlines_insert_many``) once the cases' rows are in, and
    may first write each case with its nearest term (``next_due_of``), so no UPDATE of
    the cases follows.

    Precondition: the cases are new (their ids known), so none of the stages runs (the
    partial unique constraint ``deadline_one_running_stage`` would refuse the whole
    INSERT otherwise). A stage without a matching rule starts nothing, as in
    ``deadline_start``. A term that needs a missing calendar year is not guessed: it is
    returned in the second list, for the caller to report.
    """
    rules = deadline_rules_active()
    category_memo: dict = {}
    clocks: list[Deadline] = []
    not_started: list[ClockNotStarted] = []
    for case, stage, started_at in starts:
        rule = deadline_rule_for(case=case, stage=stage, rules=rules, category_memo=category_memo)
        if rule is None:
            continue
        try:
            times = clock_times(
                policy=rule.policy,
                started_at=clock_base(rule=rule, started_at=started_at, case=case),
                calendar=calendar_for(case.municipality),
            )
        except CalendarDataMissing as exc:
            not_started.append(ClockNotStarted(case=case, stage=stage, error=exc))
            continue
        clock = Deadline(case=case, stage=stage, policy=rule.policy, started_at=started_at, **times)
        clock.copy_case()  # rows_insert does not run save()
        clocks.append(clock)
    return clocks, not_started


def deadlines_insert_many(clocks: list[Deadline]) -> list[Deadline]:
    """Write the clocks of ``deadlines_plan_many`` (their cases' rows are in)."""
    return rows_insert(Deadline, clocks)
