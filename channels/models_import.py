"""The import of exports (XLSX, CSV) from monitoring systems (DESIGN §5 «Import»).

``ImportMapping`` says which column of an export holds which field of an item; one is the
default (the Russian headers of «Инцидент Менеджмент» exports), others are added in the
admin for other exports. ``ImportJob`` records one upload: who, what, when, how far, how
many rows were taken in, were already there or were rejected, and why.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.choices import Channel

#: the item fields a column can fill, in the order of the admin form and the report
MAPPED_FIELDS = (
    "external_id",
    "received_at",
    "channel",
    "text",
    "url",
    "author",
    "author_url",
    "author_phone",
    "author_email",
    "address",
    "category",
    "latitude",
    "longitude",
)

#: The default mapping: the Russian headers of «Инцидент Менеджмент» exports, with the
#: names other monitoring exports use for the same columns.
DEFAULT_MAPPING = {
    "name": "Инцидент Менеджмент",
    "source": "incident-manager",
    "is_default": True,
    "col_external_id": "Внешний ID|ID сообщения|ID инцидента|Идентификатор",
    "col_received_at": "Дата поступления|Дата создания|Дата публикации|Дата и время|Дата",
    "col_channel": "Источник|Соцсеть|Социальная сеть|Площадка|Канал",
    "col_text": "Текст|Текст сообщения|Текст обращения|Сообщение|Содержание",
    "col_url": "Ссылка|Ссылка на сообщение|Ссылка на пост|URL",
    "col_author": "Автор|Автор сообщения|ФИО|Заявитель",
    "col_author_url": "Ссылка на автора|Профиль автора|Профиль",
    "col_author_phone": "Телефон|Телефон автора|Контактный телефон",
    "col_author_email": "E-mail|Email|Эл. почта|Электронная почта",
    "col_address": "Адрес|Адрес проблемы|Местоположение",
    "col_category": "Категория|Рубрика|Тема",
    "col_latitude": "Широта|Latitude",
    "col_longitude": "Долгота|Longitude",
}

HEADERS_HELP = _(
    "Заголовки колонки через «|»; регистр и «ё/е» не важны. Пусто — колонки нет в выгрузке."
)


def _column(label: str, default: str = ""):
    return models.CharField(
        label, max_length=500, blank=True, default=default, help_text=HEADERS_HELP
    )


class ImportMapping(models.Model):
    """Which column of an export is which field. A header matches any of the names given
    for the field (``|``-separated), case- and ё-insensitive."""

    name = models.CharField(_("название"), max_length=200, unique=True)
    municipality = models.ForeignKey(
        "mcu.Municipality",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="import_mappings",
        verbose_name=_("муниципальное образование"),
        help_text=_("Пусто — общая для всех МО."),
    )
    is_default = models.BooleanField(_("по умолчанию"), default=False)
    source = models.SlugField(
        _("система-источник"),
        max_length=64,
        help_text=_(
            "С внешним ID делает загрузку идемпотентной: строка с тем же ID из той же "
            "системы второй раз не создаёт сообщения."
        ),
    )
    default_channel = models.CharField(
        _("канал по умолчанию"),
        max_length=32,
        choices=Channel.choices,
        blank=True,
        help_text=_("Для строк без колонки «Источник» или с пустым значением."),
    )
    col_external_id = _column(_("колонка «Внешний ID»"))
    col_received_at = _column(_("колонка «Дата поступления»"))
    col_channel = _column(_("колонка «Источник»"))
    col_text = _column(_("колонка «Текст»"))
    col_url = _column(_("колонка «Ссылка»"))
    col_author = _column(_("колонка «Автор»"))
    col_author_url = _column(_("колонка «Ссылка на автора»"))
    col_author_phone = _column(_("колонка «Телефон»"))
    col_author_email = _column(_("колонка «E-mail»"))
    col_address = _column(_("колонка «Адрес»"))
    col_category = _column(_("колонка «Категория»"))
    col_latitude = _column(_("колонка «Широта»"))
    col_longitude = _column(_("колонка «Долгота»"))

    class Meta:
        verbose_name = _("сопоставление колонок импорта")
        verbose_name_plural = _("сопоставления колонок импорта")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="import_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def headers_of(self, field: str) -> list[str]:
        return [h.strip() for h in getattr(self, f"col_{field}").split("|") if h.strip()]


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("В очереди")
    RUNNING = "running", _("Загружается")
    DONE = "done", _("Готово")
    REFUSED = "refused", _("Файл не принят")
    FAILED = "failed", _("Сбой")

    @classmethod
    def finished(cls) -> tuple[str, ...]:
        return (cls.DONE, cls.REFUSED, cls.FAILED)


class ImportJob(models.Model):
    """One uploaded export and what became of its rows."""

    municipality = models.ForeignKey(
        "mcu.Municipality",
        on_delete=models.CASCADE,
        related_name="import_jobs",
        verbose_name=_("муниципальное образование"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("кто загрузил"),
    )
    mapping = models.ForeignKey(
        ImportMapping,
        on_delete=models.PROTECT,
        related_name="jobs",
        verbose_name=_("сопоставление колонок"),
    )
    channel = models.CharField(
        _("канал по умолчанию"), max_length=32, choices=Channel.choices, blank=True
    )
    file = models.FileField(_("файл"), upload_to="imports/%Y/%m/", max_length=300)
    original_name = models.CharField(_("имя файла"), max_length=255)
    size_bytes = models.PositiveBigIntegerField(_("размер, байт"), default=0)
    file_format = models.CharField(_("формат"), max_length=8, blank=True)
    from_command = models.BooleanField(_("из командной строки"), default=False)
    status = models.CharField(
        _("состояние"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    error = models.TextField(_("причина отказа"), blank=True)
    total_rows = models.PositiveIntegerField(_("строк в файле"), default=0)
    processed_rows = models.PositiveIntegerField(_("обработано строк"), default=0)
    created_count = models.PositiveIntegerField(_("создано"), default=0)
    duplicate_count = models.PositiveIntegerField(_("уже были"), default=0)
    rejected_count = models.PositiveIntegerField(_("отклонено"), default=0)
    #: the file's headers, in its order (the columns of the report)
    headers = models.JSONField(_("заголовки"), default=list, blank=True)
    #: ``[{"row": 7, "reason": "…", "values": [...]}, …]``: personal data, like the file
    rejected_rows = models.JSONField(_("отклонённые строки"), default=list, blank=True)
    created_at = models.DateTimeField(_("загружен"), auto_now_add=True)
    started_at = models.DateTimeField(_("начат"), null=True, blank=True)
    finished_at = models.DateTimeField(_("завершён"), null=True, blank=True)

    class Meta:
        verbose_name = _("импорт сообщений")
        verbose_name_plural = _("импорт сообщений")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["municipality", "-created_at"], name="import_job_recent")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in ImportStatus.finished()

    @property
    def percent(self) -> int:
        if self.is_finished and self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)
