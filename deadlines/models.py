"""Calendars, policies, rules and the clocks of cases (DESIGN §4).

``deadlines`` imports only ``mcu`` (DESIGN §7): a Deadline names its case by the string
``"cases.Case"`` and reads whom to notify through that relation.
"""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from mcu.choices import CaseKind
from mcu.models import CaseCopy, Category, Municipality

from .choices import OBLIGATION_STAGES, CalendarDayKind, PolicyUnit, Stage


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Понедельник")
    TUESDAY = 1, _("Вторник")
    WEDNESDAY = 2, _("Среда")
    THURSDAY = 3, _("Четверг")
    FRIDAY = 4, _("Пятница")
    SATURDAY = 5, _("Суббота")
    SUNDAY = 6, _("Воскресенье")


# ---------------------------------------------------------------------------------------
# Business calendar
# ---------------------------------------------------------------------------------------


class WorkSchedule(models.Model):
    """The weekly working hours of a centre; the one without a municipality is the default.

    Междуреченск 3.3: «Прием и обработка сообщений ведется только в рабочие дни
    (понедельник-пятница — с 08:00 до 17:00).» A lunch break is two intervals of one day.
    """

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="work_schedule",
        verbose_name=_("муниципальное образование"),
        help_text=_("Пусто — график по умолчанию для всех МО, у которых нет своего."),
    )
    name = models.CharField(_("название"), max_length=200)
    shorten_minutes = models.PositiveSmallIntegerField(
        _("сокращение предпраздничного дня, мин"),
        default=60,
        validators=[MaxValueValidator(24 * 60)],
        help_text=_("ТК РФ ст. 95: накануне нерабочего праздничного дня — на один час."),
    )
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta:
        verbose_name = _("график работы")
        verbose_name_plural = _("графики работы")
        ordering = ["municipality__name"]
        constraints = [
            # At most one default schedule (municipality NULL counts as 0 here).
            models.UniqueConstraint(
                Coalesce("municipality", models.Value(0)), name="workschedule_one_per_municipality"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def weekly(self) -> dict[int, list[tuple[time, time]]]:
        """Weekday → sorted working intervals, the engine's ``weekly`` argument."""
        result: dict[int, list[tuple[time, time]]] = {}
        for interval in sorted(self.intervals.all(), key=lambda i: (i.weekday, i.start)):
            result.setdefault(interval.weekday, []).append((interval.start, interval.end))
        return result


class WorkInterval(models.Model):
    """One working interval of one weekday of a schedule (local wall time)."""

    schedule = models.ForeignKey(
        WorkSchedule,
        on_delete=models.CASCADE,
        related_name="intervals",
        verbose_name=_("график"),
    )
    weekday = models.PositiveSmallIntegerField(_("день недели"), choices=Weekday.choices)
    start = models.TimeField(_("начало"))
    end = models.TimeField(_("окончание"), help_text=_("00:00 означает 24:00."))
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta:
        verbose_name = _("рабочий интервал")
        verbose_name_plural = _("рабочие интервалы")
        ordering = ["schedule", "weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if (
            self.start is not None
            and self.end is not None
            and self.end != time(0)
            and self.end <= self.start
        ):
            raise ValidationError({"end": _("Окончание должно быть позже начала.")})


class CalendarDay(models.Model):
    """A date of the national production calendar that differs from the 5-day week.

    Seeded from ``deadlines/data/production_calendar.json`` and editable: Междуреченск 3.3
    «В праздничные дни график работы определяет ЦУР Кузбасса». A year is covered by the
    calendar when it has at least one row (every year has New Year holidays); computing a
    term in a year without rows raises ``CalendarDataMissing``.
    """

    date = models.DateField(_("дата"), unique=True)
    year = models.PositiveSmallIntegerField(_("год"), editable=False, db_index=True)
    kind = models.CharField(_("вид дня"), max_length=16, choices=CalendarDayKind.choices)
    note = models.CharField(_("примечание"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta:
        verbose_name = _("день производственного календаря")
        verbose_name_plural = _("производственный календарь")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} — {self.get_kind_display()}"

    def save(self, *args, **kwargs) -> None:
        # The year is derived from the date, never typed in.
        self.year = self.date.year
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.date is None:
            return
        weekend = self.date.weekday() >= 5
        if self.kind == CalendarDayKind.WORKING and not weekend:
            raise ValidationError({"kind": _("Будний день и так рабочий.")})
        # A shortened Saturday or Sunday means a working weekend day one hour shorter
        # (2025-11-01 replaced Mon 3 Nov, the day before 4 Nov): one row says both.


_INTERVAL_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})\s*$")


def parse_intervals(text: str) -> list[tuple[time, time]]:
    """«09:00–13:00, 14:00–17:00» → ``[(09:00, 13:00), (14:00, 17:00)]``; «24:00» allowed."""
    result: list[tuple[time, time]] = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        match = _INTERVAL_RE.match(part)
        if not match:
            raise ValueError(_("«%(part)s»: ожидается «ЧЧ:ММ–ЧЧ:ММ»") % {"part": part})
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h2 == 24 and m2 == 0:
            h2 = 0
        try:
            start, end = time(h1, m1), time(h2, m2)
        except ValueError:
            raise ValueError(_("«%(part)s»: неверное время") % {"part": part}) from None
        if end != time(0) and end <= start:
            raise ValueError(_("«%(part)s»: окончание раньше начала") % {"part": part})
        if result and (result[-1][1] == time(0) or start < result[-1][1]):
            raise ValueError(
                _("«%(part)s»: интервалы должны идти по порядку и не пересекаться") % {"part": part}
            )
        result.append((start, end))
    return result


class MunicipalCalendarException(models.Model):
    """A municipality's own day: a day off or special hours; wins over the national data."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="calendar_exceptions",
        verbose_name=_("муниципальное образование"),
    )
    date = models.DateField(_("дата"))
    is_day_off = models.BooleanField(_("нерабочий день"), default=True)
    intervals = models.CharField(
        _("рабочие часы"),
        max_length=200,
        blank=True,
        help_text=_("Для рабочего дня: «09:00–13:00, 14:00–17:00» (местное время)."),
    )
    note = models.CharField(_("основание"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta:
        verbose_name = _("исключение календаря МО")
        verbose_name_plural = _("исключения календаря МО")
        ordering = ["municipality", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "date"], name="calendar_exception_unique_day"
            ),
        ]

    def __str__(self) -> str:
        what = _("нерабочий") if self.is_day_off else self.intervals
        return f"{self.date:%d.%m.%Y} — {what}"

    def clean(self) -> None:
        if self.is_day_off and self.intervals.strip():
            raise ValidationError(
                {"intervals": _("У нерабочего дня нет рабочих часов: очистите поле.")}
            )
        if not self.is_day_off:
            try:
                parsed = parse_intervals(self.intervals)
            except ValueError as exc:
                raise ValidationError({"intervals": str(exc)}) from exc
            if not parsed:
                raise ValidationError({"intervals": _("Укажите рабочие часы этого дня.")})

    def day_intervals(self) -> list[tuple[time, time]]:
        """The engine's ``overrides`` value of this date (``[]`` is a day off)."""
        return [] if self.is_day_off else parse_intervals(self.intervals)


# ---------------------------------------------------------------------------------------
# Policies and rules
# ---------------------------------------------------------------------------------------


class DeadlinePolicy(models.Model):
    """A term: code, unit, amount, when to warn and when to escalate (DESIGN §4 table)."""

    code = models.CharField(_("код"), max_length=64, unique=True)
    name = models.CharField(_("название"), max_length=200)
    unit = models.CharField(_("единица"), max_length=20, choices=PolicyUnit.choices)
    amount = models.PositiveIntegerField(
        _("величина"), default=0, help_text=_("Для срока, задаваемого вручную, — 0.")
    )
    warn_share = models.DecimalField(
        _("предупреждать при доле срока"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        default=Decimal("0.75"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.99"))],
        help_text=_("0,75 — когда прошло три четверти срока. Пусто — без предупреждения."),
    )
    escalation_1_delay = models.PositiveIntegerField(
        _("эскалация руководителю организации через, мин"),
        null=True,
        blank=True,
        help_text=_("Минут после нарушения срока. Пусто — без эскалации."),
    )
    escalation_2_delay = models.PositiveIntegerField(
        _("эскалация руководителю МЦУ ещё через, мин"),
        null=True,
        blank=True,
        help_text=_("Минут после первой эскалации. Пусто — без второй ступени."),
    )
    notify = models.BooleanField(
        _("уведомлять о сроке"),
        default=True,
        help_text=_(
            "Выключено — срок только отмечается (например, ожидание реакции "
            "заявителя, после которого сообщение закрывается)."
        ),
    )
    max_days = models.PositiveSmallIntegerField(
        _("предельный срок, календарных дней"),
        null=True,
        blank=True,
        help_text=_(
            "Для срока, задаваемого вручную (обещанный срок промежуточного ответа): "
            "не позже стольких дней от публикации. Пусто — без предела."
        ),
    )
    source = models.CharField(_("основание"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta:
        verbose_name = _("норматив срока")
        verbose_name_plural = _("нормативы сроков")
        ordering = ["code"]

    def __str__(self) -> str:
        if self.unit == PolicyUnit.EXPLICIT:
            return f"{self.name} ({self.get_unit_display()})"
        return f"{self.name}: {self.amount} {self.get_unit_display()}"

    def clean(self) -> None:
        if self.unit == PolicyUnit.EXPLICIT and self.amount:
            raise ValidationError({"amount": _("Срок задаётся вручную: величина не нужна.")})
        if self.unit and self.unit != PolicyUnit.EXPLICIT and not self.amount:
            raise ValidationError({"amount": _("Укажите величину срока.")})
        if self.escalation_2_delay is not None and self.escalation_1_delay is None:
            raise ValidationError(
                {"escalation_2_delay": _("Вторая ступень без первой не наступит.")}
            )

    @property
    def is_working_time(self) -> bool:
        return self.unit in PolicyUnit.working_values()


class DeadlineRule(models.Model):
    """Which policy a clock of a case gets: a row of the SLA condition table.

    Empty conditions match anything. Of the active rules of a stage that match a case, the
    one with the most conditions set wins; ties go to the higher ``priority``, then to the
    older rule.
    """

    stage = models.CharField(_("этап"), max_length=20, choices=Stage.choices)
    kind = models.CharField(_("вид"), max_length=16, choices=CaseKind.choices, blank=True)
    channel = models.CharField(
        _("канал"),
        max_length=20,
        blank=True,
        help_text=_("Код канала (vk, pos, official_comment…); пусто — любой."),
    )
    categories = models.ManyToManyField(
        Category,
        blank=True,
        related_name="deadline_rules",
        verbose_name=_("категории"),
        help_text=_(
            "Правило действует для этих категорий и всех их подкатегорий; пусто — для любой."
        ),
    )
    fast_track = models.BooleanField(
        _("повышенная важность"), null=True, blank=True, help_text=_("Пусто — не важно.")
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deadline_rules",
        verbose_name=_("муниципальное образование"),
        help_text=_("Пусто — для всех МО."),
    )
    policy = models.ForeignKey(
        DeadlinePolicy,
        on_delete=models.PROTECT,
        related_name="rules",
        verbose_name=_("норматив"),
    )
    priority = models.SmallIntegerField(
        _("приоритет"), default=0, help_text=_("При равной конкретности побеждает больший.")
    )
    is_active = models.BooleanField(_("действует"), default=True)
    note = models.TextField(_("примечание"), blank=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta:
        verbose_name = _("правило выбора срока")
        verbose_name_plural = _("правила выбора сроков")
        ordering = ["stage", "kind", "-priority", "pk"]
        indexes = [models.Index(fields=["stage", "is_active"], name="deadlinerule_stage")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} → {self.policy.name}"


# ---------------------------------------------------------------------------------------
# Clocks
# ---------------------------------------------------------------------------------------

# A clock runs until it is met or cancelled; a breached clock still runs (it can be met
# late). "Open" means running and not yet breached: the rows the sweep looks at.
RUNNING = Q(met_at__isnull=True, cancelled_at__isnull=True)
OPEN = RUNNING & Q(breached_at__isnull=True)


class DeadlineQuerySet(models.QuerySet):
    def running(self) -> DeadlineQuerySet:
        return self.filter(RUNNING)

    def open(self) -> DeadlineQuerySet:
        return self.filter(OPEN)

    def obligations(self) -> DeadlineQuerySet:
        """Only the clocks whose breach makes a case overdue (choices.OBLIGATION_STAGES)."""
        return self.filter(stage__in=OBLIGATION_STAGES)


class Deadline(CaseCopy):
    """One clock of one case: started, due, warned, met, breached, escalated (DESIGN §4)."""

    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="deadlines",
        verbose_name=_("сообщение"),
    )
    stage = models.CharField(_("этап"), max_length=20, choices=Stage.choices)
    policy = models.ForeignKey(
        DeadlinePolicy,
        on_delete=models.PROTECT,
        related_name="deadlines",
        verbose_name=_("норматив"),
    )
    started_at = models.DateTimeField(_("начало"))
    due_at = models.DateTimeField(_("срок"))
    warn_at = models.DateTimeField(_("предупредить"), null=True, blank=True)
    warned_at = models.DateTimeField(_("предупреждено"), null=True, blank=True)
    met_at = models.DateTimeField(_("выполнено"), null=True, blank=True)
    breached_at = models.DateTimeField(_("нарушено"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("остановлено"), null=True, blank=True)
    #: 59-ФЗ ст. 12 ч. 2: the term extended once by the head, in calendar days
    extension_days = models.PositiveSmallIntegerField(_("продлено, дней"), default=0)
    escalation_level = models.PositiveSmallIntegerField(_("ступень эскалации"), default=0)
    escalated_at = models.DateTimeField(_("эскалировано"), null=True, blank=True)
    # When each escalation step becomes due: computed with due_at from the policy's delays.
    escalate_1_at = models.DateTimeField(_("эскалация 1"), null=True, blank=True)
    escalate_2_at = models.DateTimeField(_("эскалация 2"), null=True, blank=True)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        verbose_name = _("срок")
        verbose_name_plural = _("сроки")
        ordering = ["due_at", "pk"]
        constraints = [
            # One running clock per stage of a case: a second start is a no-op.
            models.UniqueConstraint(
                fields=["case", "stage"], condition=RUNNING, name="deadline_one_running_stage"
            ),
        ]
        indexes = [
            # The sweep's breach UPDATE: WHERE due_at <= now AND … IS NULL (DESIGN §4).
            models.Index(fields=["due_at"], condition=OPEN, name="deadline_due_open"),
            models.Index(
                fields=["warn_at"],
                condition=OPEN & Q(warned_at__isnull=True),
                name="deadline_warn_open",
            ),
            # Breached and not met: few rows; escalations and the "overdue" filter.
            models.Index(
                fields=["breached_at"],
                condition=RUNNING & Q(breached_at__isnull=False),
                name="deadline_breached_running",
            ),
            # The analytics' answer and promise clocks of a municipality due in a period,
            # met or not, read from the index alone (PostgreSQL's INCLUDE).
            models.Index(
                fields=["municipality", "due_at"],
                include=["organisation", "stage", "met_at", "breached_at", "cancelled_at"],
                condition=Q(stage__in=[Stage.ANSWER, Stage.PROMISE]),
                name="deadline_mun_due_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} — {self.due_at:%d.%m.%Y %H:%M}"


class RecomputeRequest(models.Model):
    """Work a configuration edit left for the clocks: an outbox row.

    Written in the transaction of the edit (a calendar day, an exception, a schedule, a
    policy, a rule), so the edit and the promise to recompute commit together. The worker
    is asked at once after the commit; when the broker is down the edit still succeeds,
    and the beat sweep (``deadlines.recompute_pending``) runs what is left. Running a
    request twice changes nothing more: it recomputes from the current configuration.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    policy = models.ForeignKey(
        DeadlinePolicy, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    rule = models.ForeignKey(
        DeadlineRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    everything = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    changed = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("пересчёт сроков")
        verbose_name_plural = _("пересчёты сроков")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(done_at__isnull=True), name="recompute_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason or 'recompute'} #{self.pk}"
