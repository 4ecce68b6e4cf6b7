"""GeoReport v2 input and output. The names are the spec's (``lat``, ``long``,
``address_string``…), so existing Open311 clients work unchanged."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..api.serializers import AwareDateTimeField
from ..limits import ATTACHMENT_URL_MAX_CHARS
from .services import open311_service_get

#: GeoReport v2: «free form text limited to 4,000 characters»
DESCRIPTION_MAX_CHARS = 4000


class CommaListField(serializers.CharField):
    """``a,b,c`` → ``["a", "b", "c"]`` (GeoReport's lists in one parameter)."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        return [part.strip() for part in text.split(",") if part.strip()]


class Open311JurisdictionSerializer(serializers.Serializer):
    jurisdiction_id = serializers.SlugField(
        max_length=64,
        required=False,
        help_text="Код МО клиента; другой — 404. Можно не передавать: клиент привязан к МО.",
    )


class Open311RequestsQuerySerializer(Open311JurisdictionSerializer):
    service_request_id = CommaListField(
        max_length=11 * 1000,
        required=False,
        help_text="Номера обращений через запятую; остальные фильтры тогда не действуют.",
    )
    service_code = CommaListField(max_length=2000, required=False)
    start_date = AwareDateTimeField(required=False, help_text="ISO 8601 со смещением.")
    end_date = AwareDateTimeField(required=False, help_text="ISO 8601 со смещением.")
    status = CommaListField(max_length=20, required=False, help_text="open, closed или оба.")

    def validate_service_request_id(self, value):
        try:
            ids = [int(v) for v in value]
        except ValueError:
            raise serializers.ValidationError(_("Номера обращений — целые числа.")) from None
        if any(i < 1 or i > 2**63 - 1 for i in ids):
            raise serializers.ValidationError(_("Номера обращений — целые числа."))
        return ids

    def validate_status(self, value):
        bad = [v for v in value if v not in ("open", "closed")]
        if bad:
            raise serializers.ValidationError(_("Статус — open или closed."))
        return value

    def validate(self, attrs):
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and start > end:
            raise serializers.ValidationError({"end_date": [_("Конец раньше начала.")]})
        return attrs


class Open311RequestInputSerializer(Open311JurisdictionSerializer):
    """POST requests: the report of a resident. Names, e-mail and phone are stored as the
    case's author (personal data) and never shown back through Open311."""

    service_code = serializers.CharField(max_length=64, help_text="Код услуги из services.json.")
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    long = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    address_string = serializers.CharField(max_length=500, required=False, allow_blank=True)
    address_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_CHARS, required=False, allow_blank=True
    )
    media_url = serializers.URLField(
        max_length=ATTACHMENT_URL_MAX_CHARS, required=False, allow_blank=True
    )
    email = serializers.EmailField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=64, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    device_id = serializers.CharField(max_length=128, required=False, allow_blank=True)
    account_id = serializers.CharField(max_length=128, required=False, allow_blank=True)
    service_request_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Свой номер обращения у клиента (не из спецификации): повтор с тем же "
        "номером вернёт то же обращение.",
    )

    def validate_service_code(self, value):
        service = open311_service_get(value)
        if service is None:
            raise serializers.ValidationError(
                _("Нет услуги с кодом «%(code)s» (см. services.json).") % {"code": value}
            )
        self.service = service
        return value

    def validate(self, attrs):
        errors = {}
        has_lat, has_long = attrs.get("lat") is not None, attrs.get("long") is not None
        if has_lat != has_long:
            errors["long" if has_lat else "lat"] = [_("Укажите lat и long вместе.")]
        elif not has_lat and not (attrs.get("address_string") or "").strip():
            message = _("Укажите место: lat и long или address_string.")
            if (attrs.get("address_id") or "").strip():
                message = _("address_id не поддерживается: укажите lat и long или address_string.")
            errors["lat"] = [message]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# ---------------------------------------------------------------------------------------
# Output (the schema's shapes; the views answer with what services.py builds)
# ---------------------------------------------------------------------------------------


class Open311ServiceSerializer(serializers.Serializer):
    service_code = serializers.CharField()
    service_name = serializers.CharField()
    description = serializers.CharField()
    metadata = serializers.BooleanField(help_text="Всегда false: дополнительных полей нет.")
    type = serializers.ChoiceField(choices=["realtime", "batch", "blackbox"])
    keywords = serializers.CharField(allow_blank=True)
    group = serializers.CharField(help_text="Отраслевой блок.")


class Open311ServiceDefinitionSerializer(serializers.Serializer):
    service_code = serializers.CharField()
    attributes = serializers.ListField(child=serializers.DictField(), help_text="Всегда пусто.")


class Open311RequestSerializer(serializers.Serializer):
    service_request_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["open", "closed"])
    status_notes = serializers.CharField(
        allow_blank=True, help_text="Текст последнего опубликованного ответа."
    )
    service_name = serializers.CharField(allow_blank=True)
    service_code = serializers.CharField(allow_blank=True)
    description = serializers.CharField()
    agency_responsible = serializers.CharField(allow_blank=True)
    service_notice = serializers.CharField(allow_blank=True)
    requested_datetime = serializers.DateTimeField()
    updated_datetime = serializers.DateTimeField()
    expected_datetime = serializers.DateTimeField(
        allow_null=True, help_text="Обещанный срок опубликованного промежуточного ответа."
    )
    address = serializers.CharField(allow_blank=True)
    address_id = serializers.CharField(allow_null=True)
    zipcode = serializers.CharField(allow_null=True)
    lat = serializers.FloatField(allow_null=True)
    long = serializers.FloatField(allow_null=True)
    media_url = serializers.URLField(allow_null=True)


class Open311RequestCreatedSerializer(serializers.Serializer):
    service_request_id = serializers.CharField()
    service_notice = serializers.CharField()
    account_id = serializers.CharField(allow_null=True)


class Open311ErrorSerializer(serializers.Serializer):
    code = serializers.IntegerField()
    description = serializers.CharField(help_text="«поле: сообщение» или общее сообщение.")


__all__ = [
    "Open311ErrorSerializer",
    "Open311JurisdictionSerializer",
    "Open311RequestCreatedSerializer",
    "Open311RequestInputSerializer",
    "Open311RequestSerializer",
    "Open311RequestsQuerySerializer",
    "Open311ServiceDefinitionSerializer",
    "Open311ServiceSerializer",
]
