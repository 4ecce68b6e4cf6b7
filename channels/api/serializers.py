"""The ingest API's input and output (DESIGN §5): plain serializers, one per shape
(STYLE §6.5). They check the form of an item; what needs the database (municipality,
category, duplicates) is the service's."""

from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import clocks
from cases.choices import CHANNELS_BY_KIND, CaseKind, CaseStatus, Channel

from ..limits import (
    ATTACHMENT_URL_MAX_CHARS,
    ATTACHMENTS_MAX,
    BATCH_MAX_ITEMS,
    FUTURE_TOLERANCE,
    TEXT_MAX_CHARS,
)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset. A naive time is refused rather than read in some zone:
    the source knows where its «10:00» was, the desk would only guess (DESIGN §7: times
    are stored in UTC)."""

    default_error_messages = {
        "naive": _(
            "Укажите время со смещением от UTC (ISO 8601), например 2026-05-08T16:30:00+07:00."
        ),
    }

    def to_internal_value(self, value):
        parsed = value
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # the parent says what is wrong with it
        if isinstance(parsed, datetime) and timezone.is_naive(parsed):
            self.fail("naive")
        return super().to_internal_value(value)


class IngestAuthorSerializer(serializers.Serializer):
    """The resident as the source knows them. Personal data: stored on the case, shown
    only to the roles that work with the resident, never logged."""

    name = serializers.CharField(max_length=300, required=False, allow_blank=True)
    profile_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=64, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=200, required=False, allow_blank=True)


class IngestItemSerializer(serializers.Serializer):
    """One item from a channel: a post, a comment, a ПОС message, a letter, a call."""

    channel = serializers.ChoiceField(choices=Channel.choices)
    kind = serializers.ChoiceField(
        choices=CaseKind.choices,
        required=False,
        help_text="По умолчанию — по каналу (vk, ok, telegram… → incident; pos → pos; "
        "letter, email, visit, e_reception → appeal; phone → hotline).",
    )
    source = serializers.CharField(
        max_length=64,
        required=False,
        help_text="Система-источник; по умолчанию — имя учётной записи интеграции. "
        "Пара (source, external_id) делает загрузку идемпотентной.",
    )
    external_id = serializers.CharField(max_length=128, help_text="Идентификатор в источнике.")
    received_at = AwareDateTimeField(
        help_text="Когда сообщение поступило в источник, ISO 8601 со смещением."
    )
    text = serializers.CharField(max_length=TEXT_MAX_CHARS)
    author = IngestAuthorSerializer(required=False)
    url = serializers.URLField(
        max_length=500, required=False, allow_blank=True, help_text="Ссылка на оригинал."
    )
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    longitude = serializers.FloatField(
        min_value=-180, max_value=180, required=False, allow_null=True
    )
    attachments = serializers.ListField(
        child=serializers.URLField(max_length=ATTACHMENT_URL_MAX_CHARS),
        max_length=ATTACHMENTS_MAX,
        required=False,
        help_text="Ссылки на фото и видео жителя; сохраняются как ссылки, не скачиваются.",
    )
    category_hint = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="Код категории по данным источника; неизвестный код сохраняется как "
        "подсказка и не мешает загрузке.",
    )
    municipality = serializers.SlugField(
        max_length=64,
        required=False,
        help_text="Код МО; по умолчанию и не иначе — МО учётной записи интеграции.",
    )

    def validate_received_at(self, value: datetime) -> datetime:
        # A few minutes ahead is a clock of the source running fast; more is an error.
        if value > timezone.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError(_("Время поступления не может быть в будущем."))
        # Before the desk's era is a broken date (an export's zero date, a year without
        # its century): refused, not stored as a case from the year 170.
        if value.year < 2000:
            raise serializers.ValidationError(_("Время поступления раньше 2000 года."))
        return value

    def validate(self, attrs: dict) -> dict:
        errors = {}
        channel, kind = attrs["channel"], attrs.get("kind")
        if kind and channel not in CHANNELS_BY_KIND.get(kind, []):
            errors["kind"] = [
                _("Вид «%(kind)s» не подходит для канала «%(channel)s».")
                % {"kind": kind, "channel": channel}
            ]
        if (attrs.get("latitude") is None) != (attrs.get("longitude") is None):
            missing = "longitude" if attrs.get("longitude") is None else "latitude"
            errors[missing] = [_("Укажите обе координаты или ни одной.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class IngestBatchInputSerializer(serializers.Serializer):
    """The envelope of a batch. Each item is checked on its own afterwards, so one bad
    item costs only itself."""

    items = serializers.ListField(
        child=serializers.JSONField(allow_null=True),
        allow_empty=False,
        max_length=BATCH_MAX_ITEMS,
        error_messages={
            "max_length": _("Не больше %(max)s сообщений в одном пакете.")
            % {"max": BATCH_MAX_ITEMS}
        },
    )


class IngestBatchRequestSchema(serializers.Serializer):
    """The batch as the OpenAPI schema shows it (validated item by item, see above)."""

    items = IngestItemSerializer(many=True, help_text=f"От 1 до {BATCH_MAX_ITEMS} сообщений.")


# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------


class IngestClockSerializer(serializers.Serializer):
    """A deadline clock the registration started (DESIGN §4)."""

    stage = serializers.CharField()
    due_at = serializers.DateTimeField()
    state = serializers.SerializerMethodField()

    def get_state(self, obj) -> str:
        if obj.met_at:
            return "met"
        if obj.cancelled_at:
            return "cancelled"
        if obj.breached_at:
            return "breached"
        return "running"


class IngestCaseSerializer(serializers.Serializer):
    """The case an item became (201) or had already become (200). No personal data: an
    integration account sees the case without it (cases.permissions)."""

    id = serializers.IntegerField()
    registration_number = serializers.CharField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    kind = serializers.ChoiceField(choices=CaseKind.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    source = serializers.CharField()
    external_id = serializers.CharField()
    received_at = serializers.DateTimeField()
    municipality = serializers.CharField(source="municipality.slug")
    category = serializers.CharField(source="category.code", default=None, allow_null=True)
    clocks = serializers.SerializerMethodField()

    @extend_schema_field(IngestClockSerializer(many=True))
    def get_clocks(self, obj) -> list:
        return IngestClockSerializer(clocks.for_case(obj), many=True).data


class IngestBatchResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["created", "duplicate", "error"])
    id = serializers.IntegerField(
        required=False, help_text="Сообщение: новое (created) или уже загруженное (duplicate)."
    )
    errors = serializers.DictField(
        required=False, help_text='Только при error: `{"<поле>": ["сообщение"]}`.'
    )


class IngestBatchResponseSerializer(serializers.Serializer):
    results = IngestBatchResultSerializer(many=True, help_text="В порядке items.")


class IngestErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
