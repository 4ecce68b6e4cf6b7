"""The Case — everything that comes in — its append-only audit trail, answers,
attachments, answer templates, the resident's feedback and the approval setting."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mcu.models import CaseCopy, Category, ChoiceLabels, District, Municipality, Organisation
from mcu.text import strip_bidi

from .choices import CHANNELS_BY_KIND, CaseKind, CaseStatus, Channel, EventAction
from .querysets import CaseQuerySet


class Case(ChoiceLabels):
    """An item from a resident: a social-network incident, a ПОС message, a 59-ФЗ appeal
    or a hotline call (DESIGN §2). One table, so queues, search and analytics see all."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("муниципальное образование"),
    )
    kind = models.CharField(_("вид"), max_length=16, choices=CaseKind.choices)
    channel = models.CharField(_("канал"), max_length=20, choices=Channel.choices)
    source = models.CharField(
        _("источник"),
        max_length=64,
        default="manual",
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
        _("широта"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("долгота"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("район"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("категория"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("организация-исполнитель"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("ответственный исполнитель"),
    )
    status = models.CharField(
        _("статус"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW
    )
    # Междуреченск 3.8: «Повышенная важность определяется куратором». The administrator
    # may only propose it at moderation; the curator's mark starts the 4 hours.
    fast_track = models.BooleanField(_("повышенная важность"), default=False)
    fast_track_at = models.DateTimeField(_("отмечено куратором"), null=True, blank=True)
    fast_track_proposed = models.BooleanField(_("предложена повышенная важность"), default=False)
    # 59-ФЗ ст. 8: the registration of an appeal (its number is ``registration_number``).
    registered_at = models.DateTimeField(_("зарегистрировано"), null=True, blank=True)
    forwarded_to = models.CharField(_("переадресовано в"), max_length=300, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("оценка заявителя"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    repeat_count = models.PositiveIntegerField(_("повторных открытий"), default=0)
    repeats = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repeated_by",
        verbose_name=_("повтор сообщения"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("дубликат сообщения"),
    )
    # Folded text (lower case, ё→е) for search that works the same on SQLite and PostgreSQL.
    search_text = models.TextField(editable=False, blank=True)
    # Bumped by every transition: the compare-and-swap guard against two people at once.
    version = models.PositiveIntegerField(default=0, editable=False)
    # The nearest due time of the running obligation clocks, kept by ``deadlines`` whenever
    # a clock starts, is met, cancelled, extended or recomputed
    # (``deadlines.services.cases_next_due_refresh``): the list sorts by deadline through an
    # index instead of a subquery per case (docs/performance.md).
    next_due_at = models.DateTimeField(_("ближайший срок"), null=True, blank=True, editable=False)
    # An obligation clock of the case has a breach on record — marked by the sweep, or met
    # late — kept beside ``next_due_at`` by the same refresh: with it the analytics'
    # «просрочено» of a case is a condition on the case's own row
    # (``deadlines.selectors.case_was_breached_condition``), not an EXISTS over its clocks.
    breach_recorded = models.BooleanField(_("срок нарушался"), default=False, editable=False)
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
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="case_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=["municipality", "registration_number"],
                condition=~Q(registration_number=""),
                name="case_unique_registration_number",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "status", "kind"], name="case_queue"),
            models.Index(fields=["organisation", "status"], name="case_org_status"),
            # The list's order within a municipality / an organisation: its first page,
            # the capped count and the keyset pages read the index alone
            # (docs/performance.md).
            models.Index(fields=["municipality", "-received_at", "-id"], name="case_mun_received"),
            models.Index(fields=["organisation", "-received_at", "-id"], name="case_org_received"),
            # «По сроку»: nearest clock first, cases without one last (NULLS LAST is the
            # ascending default of a btree).
            models.Index(fields=["municipality", "next_due_at", "id"], name="case_mun_next_due"),
            models.Index(fields=["organisation", "next_due_at", "id"], name="case_org_next_due"),
            # The analytics' cases received in a municipality's period, grouped by what they
            # count for, read from the index alone (PostgreSQL's INCLUDE).
            models.Index(
                fields=["municipality", "received_at"],
                include=[
                    "organisation",
                    "category",
                    "district",
                    "kind",
                    "channel",
                    "repeat_count",
                    "repeats",
                    "satisfaction",
                    "next_due_at",
                    "breach_recorded",
                ],
                name="case_mun_received_facts",
            ),
            # Linking a new case to its author's and its address's earlier cases
            # (channels.clusters): a look-up, not a scan of the municipality's window.
            *[
                models.Index(
                    fields=["municipality", field], condition=~Q(**{field: ""}), name=f"case_{key}"
                )
                for field, key in (
                    ("author_url", "author_url"),
                    ("author_contacts", "author_contacts"),
                    ("author_name", "author_name"),
                    ("address", "address"),
                )
            ],
        ]

    def __str__(self) -> str:
        return self.registration_number or f"#{self.pk}"

    def clean(self) -> None:
        errors = {}
        if self.kind and self.channel and self.channel not in CHANNELS_BY_KIND.get(self.kind, []):
            errors["channel"] = _("Канал «%(channel)s» не подходит для вида «%(kind)s».") % {
                "channel": self.get_channel_display(),
                "kind": self.get_kind_display(),
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


class CaseEvent(ChoiceLabels):
    """One line of a case's audit trail. Append-only: never updated, never deleted."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("сообщение")
    )
    at = models.DateTimeField(_("время"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_events",
        verbose_name=_("кто"),
    )
    action = models.CharField(_("действие"), max_length=32, choices=EventAction.choices)
    from_status = models.CharField(
        _("из статуса"), max_length=16, choices=CaseStatus.choices, blank=True
    )
    to_status = models.CharField(
        _("в статус"), max_length=16, choices=CaseStatus.choices, blank=True
    )
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


class ApprovalRequirement(models.Model):
    """Whether answers of a kind need the curator's approval in a municipality.

    Междуреченск 3.6: the specialist «отправляет ответ … на согласование» to the curators.
    No row means no curator step: the administrator's approval is enough. The demo sets
    it for incidents of Междуреченск.
    """

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="approval_requirements",
        verbose_name=_("муниципальное образование"),
    )
    kind = models.CharField(_("вид"), max_length=16, choices=CaseKind.choices)
    required = models.BooleanField(_("согласование куратором обязательно"), default=True)

    class Meta:
        verbose_name = _("согласование ответов")
        verbose_name_plural = _("согласование ответов")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "kind"], name="approvalrequirement_unique"
            ),
        ]

    def __str__(self) -> str:
        state = _("да") if self.required else _("нет")
        return f"{self.municipality}: {self.get_kind_display()} — {state}"


class AnswerTemplate(models.Model):
    """A ready answer to a typical question («шаблонный ответ», Саратов §3.5), per category;
    ``municipality`` empty means every municipality."""

    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        related_name="answer_templates",
        verbose_name=_("категория"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="answer_templates",
        verbose_name=_("муниципальное образование"),
        help_text=_("Пусто — для всех МО."),
    )
    title = models.CharField(_("название"), max_length=200)
    text = models.TextField(_("текст"))
    is_active = models.BooleanField(_("действует"), default=True)

    class Meta:
        verbose_name = _("шаблонный ответ")
        verbose_name_plural = _("шаблонные ответы")
        ordering = ["category", "title"]

    def __str__(self) -> str:
        return self.title


class Answer(CaseCopy):
    """An executor's answer: interim (with a promised date) or final (with attachments).
    Every submission is a new row, so a returned answer stays in the history."""

    class Kind(models.TextChoices):
        INTERIM = "interim", _("Промежуточный")
        FINAL = "final", _("Окончательный")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("На проверке")
        RETURNED = "returned", _("Возвращён на доработку")
        APPROVED = "approved", _("Одобрен")
        PUBLISHED = "published", _("Опубликован")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="answers", verbose_name=_("сообщение")
    )
    kind = models.CharField(_("вид ответа"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("состояние"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    text = models.TextField(_("текст ответа"))
    promised_at = models.DateTimeField(_("обещанный срок"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("автор"),
    )
    created_at = models.DateTimeField(_("создан"), default=timezone.now)
    return_reason = models.TextField(_("причина возврата"), blank=True)
    published_at = models.DateTimeField(_("опубликован"), null=True, blank=True)
    # Recorded at publication, as a clock's verdict is when it is met: the working time
    # from the case's receipt to this publication on the municipality's calendar (None:
    # the calendar has no data for a year of it), and whether it was the case's first
    # published answer — the analytics' answer and first-reply times (analytics.indicators).
    working_seconds = models.PositiveIntegerField(
        _("рабочих секунд с поступления"), null=True, blank=True, editable=False
    )
    first_reply = models.BooleanField(_("первый опубликованный"), default=False, editable=False)

    class Meta:
        verbose_name = _("ответ")
        verbose_name_plural = _("ответы")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "kind", "created_at"], name="answer_case"),
            # The review queue's interim answers waiting for the administrator: a handful.
            models.Index(
                fields=["case"],
                condition=Q(kind="interim", status="submitted"),
                name="answer_pending_interim",
            ),
            # The analytics count a municipality's answers by when they were published and
            # submitted (analytics.indicators): a range of the period read from the index
            # alone (PostgreSQL's INCLUDE), never joined to the cases.
            models.Index(
                fields=["municipality", "published_at"],
                include=["organisation", "kind", "case", "working_seconds", "first_reply"],
                condition=Q(published_at__isnull=False),
                name="answer_mun_published",
            ),
            models.Index(
                fields=["municipality", "created_at"],
                include=["organisation", "status"],
                condition=Q(kind="final"),
                name="answer_mun_final_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.case})"


#: the extension of each type an attachment may have (sniffed from its first bytes)
ATTACHMENT_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
}


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name is ours; the resident-facing name is kept in original_name.
    ext = ATTACHMENT_EXTENSIONS.get(instance.content_type, "bin")
    return f"answers/{instance.answer.case_id}/{uuid.uuid4().hex}.{ext}"


class Attachment(models.Model):
    """A photo or a PDF of an answer. The type is sniffed from the content, not the name."""

    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ответ")
    )
    file = models.FileField(_("файл"), upload_to=attachment_path, max_length=300)
    content_type = models.CharField(_("тип"), max_length=64)
    size = models.PositiveBigIntegerField(_("размер, байт"))
    original_name = models.CharField(_("имя файла"), max_length=255)
    uploaded_at = models.DateTimeField(_("загружен"), default=timezone.now)

    class Meta:
        verbose_name = _("вложение")
        verbose_name_plural = _("вложения")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def download_name(self) -> str:
        """The name the file is served under: the uploader's name with the extension of
        the type sniffed from its content, so «Акт.pdf.hta» downloads as «Акт.pdf» and
        never as something Windows would run."""
        ext = ATTACHMENT_EXTENSIONS.get(self.content_type, "bin")
        name = strip_bidi(self.original_name).strip() or "file"
        stem = name.rsplit(".", 1)[0] if "." in name else name
        if stem.lower().endswith(f".{ext}"):
            return stem
        return f"{stem or 'file'}.{ext}"


class Feedback(CaseCopy):
    """The resident's reaction to a published answer: a rating 1–5 and/or a comment.
    ``reopened`` marks the ones that sent the case back to work — the repeated cases of
    Саратов §3.6 («повторно поступившим … в случае представления заявителем низкой оценки
    удовлетворенности»)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("сообщение")
    )
    answer = models.ForeignKey(
        Answer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("ответ"),
    )
    rating = models.PositiveSmallIntegerField(
        _("оценка"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("комментарий"), blank=True)
    reopened = models.BooleanField(_("вернуло в работу"), default=False)
    # Given after the resident's two days had run out (Междуреченск 3.6): recorded and
    # shown, but the case is not reopened.
    after_window = models.BooleanField(_("после срока реакции"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recorded_feedback",
        verbose_name=_("внёс"),
    )
    at = models.DateTimeField(_("время"), default=timezone.now)

    class Meta:
        verbose_name = _("реакцию заявителя")
        verbose_name_plural = _("реакции заявителей")
        ordering = ["at", "id"]
        # The analytics' ratings and reopenings of a municipality's period, from the index.
        indexes = [
            models.Index(
                fields=["municipality", "at"],
                include=["organisation", "rating", "reopened"],
                name="feedback_mun_at",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.rating or '—'}"


class CaseNote(models.Model):
    """An internal note on a case between the centre and the executor («служебная
    заметка»). Never shown to the resident: no public output (Open311, the published
    answer) reads this table. Append-only like the audit trail it is written with."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="notes", verbose_name=_("сообщение")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="case_notes",
        verbose_name=_("автор"),
    )
    text = models.TextField(_("текст заметки"), max_length=4000)
    created_at = models.DateTimeField(_("создана"), default=timezone.now)

    class Meta:
        verbose_name = _("внутреннюю заметку")
        verbose_name_plural = _("внутренние заметки")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="casenote_case")]

    def __str__(self) -> str:
        return f"{self.case}: {self.text[:40]}"


class SavedView(models.Model):
    """A person's own named list view: the list's query string (queue, filters, order,
    page size) under a name, shown as a link above the list. Only its owner sees it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("владелец"),
    )
    name = models.CharField(_("название"), max_length=60)
    query = models.CharField(_("параметры списка"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("создан"), default=timezone.now)

    class Meta:
        verbose_name = _("сохранённый вид списка")
        verbose_name_plural = _("сохранённые виды списка")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="savedview_owner_name")
        ]

    def __str__(self) -> str:
        return self.name
