"""The one setting of the analytics: the weights of the executor rating (DESIGN §6)."""

from decimal import Decimal

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
