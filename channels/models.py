"""What an ingested item brings that a Case has no field for (DESIGN §5)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.choices import CaseKind, Channel


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
        verbose_name = _("загрузку через API")
        verbose_name_plural = _("загрузки через API")

    def __str__(self) -> str:
        return f"{self.case_id}"


# ---------------------------------------------------------------------------------------
# Auto-rules (Ставрополь 3 п. 7: «создание автоправил через ПОС, а также механизмов
# ускоренного решения вопросов»)
# ---------------------------------------------------------------------------------------

#: the longest regular expression a rule may hold: Python's ``re`` has no timeout, so a
#: pattern is kept short, checked for nested quantifiers on save (channels.rules), and
#: run over the first ``RULE_TEXT_WINDOW`` characters of a text only
RULE_REGEX_MAX_CHARS = 200
RULE_TEXT_WINDOW = 5000


class AutoRule(models.Model):
    """One line of a municipality's ordered list of auto-rules: conditions on an item
    coming in → what the desk fills in for the administrator.

    Every condition left empty matches anything; a rule with no condition matches
    nothing (an empty rule is a mistake, not «everything»). All the active rules apply in
    their order (``position``): a rule sees what the rules above it set (a rule may set
    the district from the address, the next one route by district), a field set by an
    earlier rule is not overwritten by a later one, and «stop» ends the list. The
    category and the district are written into the case as it is registered; the
    executor and the fast-track proposal go to moderation, where the administrator
    confirms or overrides them (an executor sees its organisation's cases, so nothing
    reaches one before moderation).
    """

    municipality = models.ForeignKey(
        "mcu.Municipality",
        on_delete=models.CASCADE,
        related_name="auto_rules",
        verbose_name=_("муниципальное образование"),
    )
    name = models.CharField(_("название"), max_length=200)
    position = models.PositiveIntegerField(
        _("порядок"), default=100, help_text=_("Правила применяются по возрастанию.")
    )
    is_active = models.BooleanField(_("действует"), default=True)
    stop = models.BooleanField(
        _("остановить после срабатывания"),
        default=False,
        help_text=_("Следующие правила к сообщению не применяются."),
    )
    # -- conditions ------------------------------------------------------------------------
    channel = models.CharField(_("канал"), max_length=20, blank=True, choices=Channel.choices)
    kind = models.CharField(_("вид"), max_length=16, blank=True, choices=CaseKind.choices)
    category = models.ForeignKey(
        "mcu.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("категория (или её подкатегория)"),
    )
    district = models.ForeignKey(
        "mcu.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("район"),
    )
    keywords = models.TextField(
        _("ключевые слова"),
        blank=True,
        help_text=_("Через запятую или с новой строки; достаточно одного. Регистр и ё/е не важны."),
    )
    text_regex = models.CharField(
        _("регулярное выражение по тексту"),
        max_length=RULE_REGEX_MAX_CHARS,
        blank=True,
        help_text=_("Синтаксис Python re, без учёта регистра; до 200 символов."),
    )
    address_contains = models.CharField(
        _("адрес содержит"),
        max_length=200,
        blank=True,
        help_text=_("Часть адреса; регистр и ё/е не важны."),
    )
    # -- actions ---------------------------------------------------------------------------
    set_organisation = models.ForeignKey(
        "mcu.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("исполнитель (предложить)"),
    )
    set_category = models.ForeignKey(
        "mcu.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("установить категорию"),
    )
    set_district = models.ForeignKey(
        "mcu.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("установить район"),
    )
    propose_fast_track = models.BooleanField(
        _("предложить куратору повышенную важность"), default=False
    )
    # -- statistics --------------------------------------------------------------------------
    hit_count = models.PositiveIntegerField(_("срабатываний"), default=0, editable=False)
    last_hit_at = models.DateTimeField(
        _("последнее срабатывание"), null=True, blank=True, editable=False
    )
    # The version of the rules each process compiled is read from it (channels.rules);
    # the hit counters are written by UPDATE, which leaves it alone.
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta:
        verbose_name = _("автоправило")
        verbose_name_plural = _("автоправила")
        ordering = ["municipality", "position", "id"]
        indexes = [
            models.Index(fields=["municipality", "is_active", "position"], name="rule_order")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from .rules import rule_validate

        rule_validate(self)


# ---------------------------------------------------------------------------------------
# Routing suggestions: a text classifier per municipality
# ---------------------------------------------------------------------------------------


class RoutingModel(models.Model):
    """The routing classifier of a municipality, trained on its own routed history by
    ``channels.train_routing`` (daily). One row per municipality, replaced on retraining;
    the fitted pipeline is kept as joblib bytes in the row (a few hundred KB)."""

    municipality = models.OneToOneField(
        "mcu.Municipality",
        on_delete=models.CASCADE,
        related_name="routing_model",
        verbose_name=_("муниципальное образование"),
    )
    version = models.PositiveIntegerField(_("версия"), default=1)
    trained_at = models.DateTimeField(_("обучена"))
    sample_count = models.PositiveIntegerField(_("сообщений в обучении"))
    label_count = models.PositiveIntegerField(_("пар категория–исполнитель"))
    blob = models.BinaryField(_("модель (joblib)"), editable=False)

    class Meta:
        verbose_name = _("модель маршрутизации")
        verbose_name_plural = _("модели маршрутизации")

    def __str__(self) -> str:
        return f"{self.municipality} v{self.version}"


# ---------------------------------------------------------------------------------------
# Duplicates and problem clusters
# ---------------------------------------------------------------------------------------


class ProblemCluster(models.Model):
    """One problem many residents write about (one pothole, forty posts). Found by the
    desk (``proposed``), confirmed or split by the administrator; answered once, and every
    member case gets the answer and its clocks met."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Предложен")
        CONFIRMED = "confirmed", _("Подтверждён")

    municipality = models.ForeignKey(
        "mcu.Municipality",
        on_delete=models.CASCADE,
        related_name="problem_clusters",
        verbose_name=_("муниципальное образование"),
    )
    primary = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("основное сообщение"),
    )
    status = models.CharField(
        _("состояние"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("подтверждён"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("подтвердил"),
    )

    class Meta:
        verbose_name = _("кластер проблемы")
        verbose_name_plural = _("кластеры проблем")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{_('Кластер')} {self.primary}"


class ClusterMembership(models.Model):
    """A case in a problem cluster, with why it was linked. A case is in one cluster at
    most (the one-to-one key)."""

    class Reason(models.TextChoices):
        PRIMARY = "primary", _("Основное")
        SAME_AUTHOR = "same_author", _("Тот же автор, почти тот же текст")
        SAME_ADDRESS = "same_address", _("Похожий текст, тот же адрес")
        SAME_DISTRICT = "same_district", _("Похожий текст, тот же район")
        MANUAL = "manual", _("Добавлено администратором")

    cluster = models.ForeignKey(
        ProblemCluster,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("кластер"),
    )
    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="cluster_membership",
        verbose_name=_("сообщение"),
    )
    reason = models.CharField(_("основание"), max_length=16, choices=Reason.choices)
    similarity = models.FloatField(_("сходство текста"), null=True, blank=True)
    added_at = models.DateTimeField(_("добавлено"), auto_now_add=True)

    class Meta:
        verbose_name = _("сообщение кластера")
        verbose_name_plural = _("сообщения кластера")
        ordering = ["cluster", "added_at", "id"]

    def __str__(self) -> str:
        return f"{self.cluster_id}: {self.case_id}"


class LinkRequest(models.Model):
    """Duplicate linking a registration left to the worker: an outbox row.

    Written in the transaction that registers the cases (ingest, batch, import, manual
    registration), so the cases and the promise to link them commit together (issue #8:
    «An item is stored and its clocks start even when the broker is down; whatever needed
    the broker runs when it is back»). The worker is asked at once after the commit; when
    the broker is down the item is still stored, and the beat sweep
    (``channels.link_pending``) runs what is left. Running a request twice links nothing
    twice (``case_link_duplicates`` skips a case already linked).
    """

    case_ids = models.JSONField(_("сообщения"), default=list)
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    started_at = models.DateTimeField(_("начат"), null=True, blank=True)
    done_at = models.DateTimeField(_("выполнен"), null=True, blank=True)
    linked = models.PositiveIntegerField(_("связано"), null=True, blank=True)

    class Meta:
        verbose_name = _("поиск дубликатов")
        verbose_name_plural = _("поиски дубликатов")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(done_at__isnull=True),
                name="link_request_pending",
            )
        ]

    def __str__(self) -> str:
        return f"link #{self.pk}"


from .models_import import ImportJob, ImportMapping  # noqa: E402, F401  (DESIGN §5 «Import»)
