"""What an ingested item brings that a Case has no field for (DESIGN §5)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IngestRecord(models.Model):
    """How a case came in through the ingest API: which integration account delivered it,
    the category code the source suggested and the links to the resident's photos and
    videos as the source gave them.

    One row per ingested case, written in the transaction that registers the case. The
    links live here rather than in the payload of the case's first event because
    ``case_register`` writes that event and the audit trail is append-only: this row keeps
    the register service unchanged and the links queryable; the batch ingest writes these
    rows with one INSERT like the cases themselves. The files are not fetched: the desk
    makes no request to an outside host on its own.
    """

    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="ingest_record",
        verbose_name=_("сообщение"),
    )
    integration = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="ingest_records",
        verbose_name=_("интеграция"),
    )
    category_hint = models.CharField(
        _("категория по данным источника"),
        max_length=64,
        blank=True,
        help_text=_("Код категории, предложенный источником; сохраняется, даже если неизвестен."),
    )
    attachment_urls = models.JSONField(_("ссылки на вложения"), default=list, blank=True)
    created_at = models.DateTimeField(_("загружено"), auto_now_add=True)

    class Meta:
        verbose_name = _("загрузка через API")
        verbose_name_plural = _("загрузки через API")

    def __str__(self) -> str:
        return f"{self.case_id}"


from .models_import import ImportJob, ImportMapping  # noqa: E402, F401  (DESIGN §5 «Import»)
