"""The Case — everything that comes in — and its append-only audit trail."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mcu.models import Category, District, Municipality, Organisation

from .choices import CHANNELS_BY_KIND, CaseKind, CaseStatus, Channel, EventAction
from .querysets import CaseQuerySet


class Case(models.Model):
    """An item from a resident: a social-network incident, a ПОС message, a 59-ФЗ appeal
    or a hotline call (DESIGN §2). One table, so queues, search and analytics see all."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="cases",
        verbose_name=_("муниципальное образование"),
    )
    kind = models.CharField(_("вид"), max_length=16, choices=CaseKind.choices)
    channel = models.CharField(_("канал"), max_length=20, choices=Channel.choices)
    source = models.CharField(
        _("источник"), max_length=64, default="manual",
        help_text=_("Система, из которой пришло сообщение (для идемпотентной загрузки)."),
    )
    external_id = models.CharField(_("внешний идентификатор"), max_length=128, blank=True)
    registration_number = models.CharField(_("регистрационный номер"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("поступило"), default=timezone.now, db_index=True)

    text = models.TextField(_("текст"))
    source_url = models.URLField(_("ссылка на оригинал"), max_length=500, blank=True)
    # Resident personal data: shown only to roles that need it (cases.permissions).
    author_name = models.CharField(_("автор"), max_length=300, blank=True)
    author_url = models.URLField(_("профиль автора"), max_length=500, blank=True)
    author_contacts = models.CharField(_("контакты автора"), max_length=300, blank=True)

    address = models.CharField(_("адрес"), max_length=500, blank=True)
    latitude = models.DecimalField(
        _("широта"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("долгота"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
        verbose_name=_("район"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
        verbose_name=_("категория"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
        verbose_name=_("организация-исполнитель"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="assigned_cases", verbose_name=_("ответственный исполнитель"),
    )
    status = models.CharField(
        _("статус"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW
    )
    fast_track = models.BooleanField(_("повышенная важность"), default=False)
    satisfaction = models.PositiveSmallIntegerField(
        _("оценка заявителя"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    repeat_count = models.PositiveIntegerField(_("повторных открытий"), default=0)
    repeats = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="repeated_by",
        verbose_name=_("повтор сообщения"),
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates",
        verbose_name=_("дубликат сообщения"),
    )
    # Folded text (lower case, ё→е) for search that works the same on SQLite and PostgreSQL.
    search_text = models.TextField(editable=False, blank=True)
    # Bumped by every transition: the compare-and-swap guard against two people at once.
    version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)
    published_at = models.DateTimeField(_("опубликовано"), null=True, blank=True)
    closed_at = models.DateTimeField(_("закрыто"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("сообщение")
        verbose_name_plural = _("сообщения")
        ordering = ["-received_at", "-id"]
        constraints = [
            # The same post delivered twice is one case (idempotent ingest).
            models.UniqueConstraint(
                fields=["source", "external_id"], condition=~Q(external_id=""),
                name="case_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=["municipality", "registration_number"],
                condition=~Q(registration_number=""), name="case_unique_registration_number",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "status", "kind"], name="case_queue"),
            models.Index(fields=["organisation", "status"], name="case_org_status"),
        ]

    def __str__(self) -> str:
        return self.registration_number or f"#{self.pk}"

    def clean(self) -> None:
        errors = {}
        if self.kind and self.channel and self.channel not in CHANNELS_BY_KIND.get(self.kind, []):
            errors["channel"] = _("Канал «%(channel)s» не подходит для вида «%(kind)s».") % {
                "channel": self.get_channel_display(), "kind": self.get_kind_display(),
            }
        mun = self.municipality_id
        for field in ("district", "organisation"):
            obj = getattr(self, field)
            if obj is not None and obj.municipality_id != mun:
                errors[field] = _("Относится к другому муниципальному образованию.")
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = _("Укажите обе координаты или ни одной.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.status in CaseStatus.open_values()


class CaseEvent(models.Model):
    """One line of a case's audit trail. Append-only: never updated, never deleted."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("сообщение")
    )
    at = models.DateTimeField(_("время"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="case_events", verbose_name=_("кто"),
    )
    action = models.CharField(_("действие"), max_length=32, choices=EventAction.choices)
    from_status = models.CharField(
        _("из статуса"), max_length=16, choices=CaseStatus.choices, blank=True
    )
    to_status = models.CharField(_("в статус"), max_length=16, choices=CaseStatus.choices,
                                 blank=True)
    reason = models.TextField(_("причина"), blank=True)
    payload = models.JSONField(_("данные"), default=dict, blank=True)

    class Meta:
        verbose_name = _("событие")
        verbose_name_plural = _("журнал событий")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="caseevent_timeline")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%d.%m.%Y %H:%M})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("CaseEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("CaseEvent is append-only")
