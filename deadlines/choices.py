"""Choices of the deadlines app: stages, units, production-calendar day kinds (DESIGN §4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["OBLIGATION_STAGES", "CalendarDayKind", "DeadlineEvent", "PolicyUnit", "Stage"]


class Stage(models.TextChoices):
    """Which clock of a case runs. The workflow (cases.services) starts and meets them."""

    FIRST_REPLY = "first_reply", _("Первичный ответ")
    ANSWER = "answer", _("Ответ")
    REASSIGN_WINDOW = "reassign_window", _("Окно переназначения")
    PROMISE = "promise", _("Обещанный срок")
    REACTION = "reaction", _("Реакция заявителя")
    REGISTER = "register", _("Регистрация обращения")
    FORWARD = "forward", _("Переадресация")


#: The clocks that are obligations of the desk: their breach makes a case overdue, and they
#: decide its place in a list sorted by deadline. The end of the reassignment window only
#: closes a window, and the end of the resident's reaction wait closes the case.
OBLIGATION_STAGES = (
    Stage.FIRST_REPLY,
    Stage.ANSWER,
    Stage.PROMISE,
    Stage.REGISTER,
    Stage.FORWARD,
)


class PolicyUnit(models.TextChoices):
    """Units of a policy; the first four are the engine's ``Unit`` (DESIGN §4 table).

    ``explicit`` has no amount: the due time is given when the clock starts (the promised
    date of an interim answer).
    """

    WORKING_MINUTES = "working_minutes", _("рабочие минуты")
    CALENDAR_MINUTES = "calendar_minutes", _("календарные минуты")
    WORKING_DAYS = "working_days", _("рабочие дни")
    CALENDAR_DAYS = "calendar_days", _("календарные дни")
    EXPLICIT = "explicit", _("срок задаётся вручную")

    @classmethod
    def working_values(cls) -> frozenset[str]:
        return frozenset({cls.WORKING_MINUTES, cls.WORKING_DAYS})


class CalendarDayKind(models.TextChoices):
    """One line of the production calendar (ТК РФ ст. 95, 112; постановления о переносе)."""

    DAY_OFF = "day_off", _("Нерабочий (праздничный или перенесённый выходной)")
    WORKING = "working", _("Рабочий выходной день")
    SHORTENED = "shortened", _("Сокращённый предпраздничный день (в т. ч. рабочий выходной)")


class DeadlineEvent(models.TextChoices):
    """What the sweep tells people; part of the notification key."""

    WARNING = "warning", _("Срок истекает")
    BREACH = "breach", _("Срок нарушен")
    ESCALATION_1 = "escalation1", _("Эскалация руководителю организации")
    ESCALATION_2 = "escalation2", _("Эскалация руководителю МЦУ")
