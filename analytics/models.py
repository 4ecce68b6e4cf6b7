"""The one setting of the analytics: the weights of the executor rating (DESIGN §6)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from mcu.models import Municipality


def _weight(label: str, default: str, help_text: str):
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=help_text,
    )


class RatingWeights(models.Model):
    """Weights of the composite score of the executor rating and the minimum of cases to be
    ranked; the row without a municipality is the default for every municipality.

    Ставрополь п. 11 2): «рейтингование ответственных исполнителей по количеству, срокам
    рассмотрения и полноте реагирования по существу» — timeliness, completeness (answered
    of received), quality (not returned, not reopened) and the residents' satisfaction.
    """

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rating_weights",
        verbose_name=_("муниципальное образование"),
        help_text=_("Пусто — веса по умолчанию для всех МО, у которых нет своих."),
    )
    on_time = _weight(_("вес: ответы в срок"), "40", _("Доля ответов, данных в срок."))
    answered = _weight(
        _("вес: полнота ответов"), "20", _("Доля отвеченных из поступивших (не больше 100 %).")
    )
    not_returned = _weight(
        _("вес: без возврата на доработку"), "15", _("1 − доля ответов, возвращённых на доработку.")
    )
    not_reopened = _weight(
        _("вес: без повторного открытия"), "10", _("1 − доля повторно открытых после публикации.")
    )
    satisfaction = _weight(
        _("вес: удовлетворённость"), "15", _("Средняя оценка заявителей, приведённая к 0–1.")
    )
    min_cases = models.PositiveIntegerField(
        _("минимум сообщений для места в рейтинге"),
        default=2,
        help_text=_("Организации с меньшим числом поступивших показываются без места."),
    )
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta:
        verbose_name = _("веса рейтинга исполнителей")
        verbose_name_plural = _("веса рейтинга исполнителей")
        ordering = ["municipality__name"]
        constraints = [
            models.UniqueConstraint(
                Coalesce("municipality", models.Value(0)), name="ratingweights_one_per_municipality"
            ),
        ]

    def __str__(self) -> str:
        return str(self.municipality) if self.municipality_id else str(_("По умолчанию"))

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in WEIGHT_FIELDS}


#: the components of the score, in the order of the «как считается» text
WEIGHT_FIELDS = ("on_time", "answered", "not_returned", "not_reopened", "satisfaction")
DEFAULT_WEIGHTS = {
    "on_time": 40.0,
    "answered": 20.0,
    "not_returned": 15.0,
    "not_reopened": 10.0,
    "satisfaction": 15.0,
}
DEFAULT_MIN_CASES = 2


class NoteKind(models.TextChoices):
    """Ставрополь п. 11 1): «еженедельной аналитической записки»; Междуреченск пост. 3.3:
    «Представлять ежемесячно главе … отчет по итогам работы системы»; Лабытнанги 3.6 в):
    «формирует ежеквартальные отчеты по тематике поступивших обращений»."""

    WEEKLY = "weekly", _("еженедельная")
    MONTHLY = "monthly", _("ежемесячная")
    QUARTERLY = "quarterly", _("ежеквартальная")


class NoteStatus(models.TextChoices):
    DRAFT = "draft", _("проект")
    APPROVED = "approved", _("утверждена")
    PUBLISHED = "published", _("опубликована")


class WeeklyNote(models.Model):
    """One revision of the analytic note of a municipality for a period (weekly, monthly
    or quarterly — one engine). ``content`` is the snapshot of every table computed when
    the revision was built: the note is always rendered from it, so data arriving after
    the build (late answers, re-categorised cases) never changes an approved note. A new
    revision (``note_revise``) is built afresh and keeps the head's causes."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="notes", verbose_name=_("МО")
    )
    kind = models.CharField(_("вид"), max_length=10, choices=NoteKind.choices)
    period = models.CharField(_("период"), max_length=10, help_text=_("2026-W06, 2026-02, 2026-Q1"))
    date_from = models.DateField(_("с"))
    date_to = models.DateField(_("по"))
    revision = models.PositiveSmallIntegerField(_("редакция"), default=1)
    status = models.CharField(
        _("состояние"), max_length=10, choices=NoteStatus.choices, default=NoteStatus.DRAFT
    )
    content = models.JSONField(_("содержание (снимок на момент сборки)"), default=dict)
    #: ``{category id: «причина и предлагаемое решение»}`` for the TOP problems
    causes = models.JSONField(_("причины и предлагаемые решения"), default=dict, blank=True)
    built_at = models.DateTimeField(_("собрана"))
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("собрал"),
    )
    approved_at = models.DateTimeField(_("утверждена"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("утвердил"),
    )
    published_at = models.DateTimeField(_("опубликована"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("опубликовал"),
    )

    class Meta:
        verbose_name = _("аналитическая записка")
        verbose_name_plural = _("аналитические записки")
        ordering = ["-date_from", "municipality__name", "kind", "-revision"]
        constraints = [
            # Beat and the command may race: the database lets one revision 1 through.
            models.UniqueConstraint(
                fields=["municipality", "kind", "date_from", "revision"],
                name="note_one_revision_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(date_from__lte=models.F("date_to")), name="note_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} · {self.period} · ред. {self.revision}"

    @property
    def is_frozen(self) -> bool:
        return self.status != NoteStatus.DRAFT


class NoteAction(models.TextChoices):
    BUILD = "build", _("собрана")
    REVISE = "revise", _("собрана новая редакция")
    CAUSES = "causes", _("записаны причины и решения")
    APPROVE = "approve", _("утверждена")
    PUBLISH = "publish", _("опубликована")


class NoteEvent(models.Model):
    """The audit trail of a note: one row per change. Append-only."""

    note = models.ForeignKey(WeeklyNote, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("действие"), max_length=20, choices=NoteAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто"),
    )
    at = models.DateTimeField(_("когда"))
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("событие записки")
        verbose_name_plural = _("события записок")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.note_id}: {self.action}"
