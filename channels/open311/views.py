"""Open311 GeoReport v2 endpoints (``/open311/v2/…``), JSON only.

Thin views (STYLE §6.5): the client's key (``api_key``, scope ``open311``), its
municipality (``jurisdiction_id``), the throttle and the form of the input here; what a
service and a request are, and the filing through the ingest, in ``services``. Every
error is GeoReport's list, ``[{"code": 400, "description": "поле: сообщение"}]``.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from mcu.api.exceptions import exception_handler as desk_exception_handler
from mcu.api.mixins import ScopedViewSetMixin
from mcu.api.parsers import BoundedJSONParser
from mcu.exceptions import NotFound

from . import services
from .authentication import Open311KeyAuthentication
from .permissions import IsOpen311Client
from .serializers import (
    Open311JurisdictionSerializer,
    Open311RequestCreatedSerializer,
    Open311RequestInputSerializer,
    Open311RequestSerializer,
    Open311RequestsQuerySerializer,
    Open311ServiceDefinitionSerializer,
    Open311ServiceSerializer,
)

#: a report is a few kilobytes; the form body of one is refused above this
POST_MAX_BYTES = 64 * 1024
_GENERAL = ("detail", "non_field_errors")


def georeport_errors(status_code: int, data) -> list[dict]:
    """Any error body of the desk → GeoReport's list, each entry naming its field."""
    errors: list[dict] = []

    def add(field: str | None, message) -> None:
        text = str(message)
        errors.append({"code": status_code, "description": f"{field}: {text}" if field else text})

    if isinstance(data, dict):
        for field, messages in data.items():
            name = None if field in _GENERAL else field
            if isinstance(messages, dict):  # nested: flatten one level
                for sub, inner in messages.items():
                    for message in inner if isinstance(inner, list) else [inner]:
                        add(f"{name}.{sub}" if name else sub, message)
                continue
            for message in messages if isinstance(messages, list) else [messages]:
                add(name, message)
    elif isinstance(data, list):
        for message in data:
            add(None, message)
    else:
        add(None, data)
    return errors or [{"code": status_code, "description": _("Ошибка запроса.")}]


def open311_exception_handler(exc, context):
    # GeoReport: «403 — Invalid api_key»: one message whatever was wrong with the key,
    # another when there is none, and the permission's when the account may not use it.
    if isinstance(exc, exceptions.NotAuthenticated):
        exc = exceptions.PermissionDenied({"api_key": [str(IsOpen311Client.message)]})
    elif isinstance(exc, exceptions.AuthenticationFailed) or (
        isinstance(exc, exceptions.PermissionDenied) and not isinstance(exc.detail, dict)
    ):
        exc = exceptions.PermissionDenied({"api_key": [str(exc.detail)]})
    response = desk_exception_handler(exc, context)
    if response is not None:
        response.data = georeport_errors(response.status_code, response.data)
    return response


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


class Open311Throttle(ScopedRateThrottle):
    """Per client (its account), at ``DEFAULT_THROTTLE_RATES["open311"]``, like the
    ingest; over it: 429 with ``Retry-After``."""


ERROR_LIST_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "code": {"type": "integer"},
            "description": {"type": "string", "description": "«поле: сообщение» или общее."},
        },
        "required": ["code", "description"],
    },
    "minItems": 1,
}


def _errors(description: str, codes=(400, 403, 404, 429)) -> dict:
    example = {
        400: "lat: Укажите место: lat и long или address_string.",
        403: "api_key: Неверный или недействующий ключ API.",
        404: "jurisdiction_id: Нет такой юрисдикции для этого ключа.",
        413: "Слишком большой запрос.",
        429: "Слишком много запросов. Повторите через 12 секунд.",
    }
    meaning = {
        400: description,
        403: "Нет api_key, он неверен, отозван, истёк или не для Open311.",
        404: "Не найдено (или другая юрисдикция).",
        413: f"Тело запроса больше {POST_MAX_BYTES // 1024} КБ.",
        429: "Слишком много запросов с этим ключом; `Retry-After` — через сколько секунд.",
    }
    return {
        # GeoReport's error is a list; drf-spectacular makes arrays of 2xx list
        # serializers only, so the array is spelled out (schemathesis checks it).
        code: OpenApiResponse(
            ERROR_LIST_SCHEMA,
            description=meaning[code],
            examples=[
                OpenApiExample(
                    f"Ошибка {code}",
                    value=[{"code": code, "description": example[code]}],
                    status_codes=[str(code)],
                )
            ],
        )
        for code in codes
    }


#: gunicorn's ``limit_request_line`` (its default): a longer request line never reaches
#: Django, gunicorn answers 414 with a page of its own (no GeoReport body)
REQUEST_LINE_MAX_BYTES = 4094
URI_TOO_LONG = {
    414: OpenApiResponse(
        description=f"Строка запроса длиннее {REQUEST_LINE_MAX_BYTES} байт (предел "
        "HTTP-сервера): передайте меньше номеров или кодов за раз."
    )
}


API_KEY = OpenApiParameter(
    "api_key", str, OpenApiParameter.QUERY, required=False, description="Ключ клиента Open311."
)
REQUEST_EXAMPLE = {
    "service_request_id": "42",
    "status": "closed",
    "status_notes": "Яма заделана 12.05.2026, фото в ответе на портале.",
    "service_name": "Ямы на дорогах",
    "service_code": "roads-potholes",
    "description": "Глубокая яма у дома 5 по ул. Кузнецкой",
    "agency_responsible": "Отдел координации городского хозяйства",
    "service_notice": "",
    "requested_datetime": "2026-05-08T16:30:00+07:00",
    "updated_datetime": "2026-05-12T10:05:00+07:00",
    "expected_datetime": None,
    "address": "ул. Кузнецкая, 5",
    "address_id": None,
    "zipcode": None,
    "lat": 53.6866,
    "long": 88.0702,
    "media_url": "https://portal.example.ru/photo/1.jpg",
}


class _Open311Api(ScopedViewSetMixin, APIView):
    authentication_classes = [Open311KeyAuthentication]
    permission_classes = [IsOpen311Client]
    throttle_classes = [Open311Throttle]
    throttle_scope = "open311"
    renderer_classes = [JSONRenderer]
    parser_classes = [FormParser, BoundedJSONParser]
    #: the size is refused here, before parsing, in GeoReport's error format
    checks_body_size = True

    def get_exception_handler(self):
        return open311_exception_handler

    def initial(self, request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > POST_MAX_BYTES:
            raise PayloadTooLarge(
                _("Слишком большой запрос: %(size)s байт, допустимо %(max)s.")
                % {"size": length, "max": POST_MAX_BYTES}
            )
        super().initial(request, *args, **kwargs)

    def client_check(self, request, params: dict) -> None:
        """A client is bound to its account's municipality: a ``jurisdiction_id`` may only
        name it (another, or an unknown one, is the same 404)."""
        jurisdiction = params.get("jurisdiction_id")
        if jurisdiction and jurisdiction != request.user.municipality.slug:
            raise NotFound(_("Нет такой юрисдикции для этого ключа."), field="jurisdiction_id")

    def query(self, request, serializer_class=Open311JurisdictionSerializer) -> dict:
        serializer = serializer_class(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        self.client_check(request, serializer.validated_data)
        return serializer.validated_data


class ServiceListApi(_Open311Api):
    @extend_schema(
        tags=["open311"],
        operation_id="open311_services_list",
        summary="Open311: список услуг (категорий)",
        description="Услуги — действующие листья дерева категорий (подкатегории, или "
        "категории без подкатегорий); `service_code` — постоянный код категории, "
        "`group` — отраслевой блок.",
        parameters=[API_KEY, Open311JurisdictionSerializer],
        responses={
            200: Open311ServiceSerializer(many=True),
            **_errors("Неверный параметр."),
            **URI_TOO_LONG,
        },
        examples=[
            OpenApiExample(
                "Услуги",
                # one item: drf-spectacular wraps the example of a list response
                value={
                    "service_code": "roads-potholes",
                    "service_name": "Ямы на дорогах",
                    "description": "Дороги и транспорт → Дороги → Ямы на дорогах",
                    "metadata": False,
                    "type": "realtime",
                    "keywords": "",
                    "group": "Дороги и транспорт",
                },
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request):
        self.query(request)
        return Response([s.as_georeport() for s in services.open311_services()])


class ServiceDefinitionApi(_Open311Api):
    @extend_schema(
        tags=["open311"],
        operation_id="open311_service_definition",
        summary="Open311: описание услуги",
        description="У услуг нет дополнительных полей (`metadata: false`): `attributes` пуст.",
        parameters=[API_KEY, Open311JurisdictionSerializer],
        responses={
            200: Open311ServiceDefinitionSerializer,
            **_errors("Неверный параметр."),
            **URI_TOO_LONG,
        },
    )
    def get(self, request, service_code: str):
        self.query(request)
        if services.open311_service_get(service_code) is None:
            raise NotFound(_("Нет такой услуги."), field="service_code")
        return Response({"service_code": service_code, "attributes": []})


class RequestListApi(_Open311Api):
    @extend_schema(
        tags=["open311"],
        operation_id="open311_requests_list",
        summary="Open311: обращения клиента",
        description="Только обращения, поданные этим клиентом. Без дат — за последние 90 "
        "дней; не больше 1000, новые первыми. `closed` — ответ опубликован (или сообщение "
        "закрыто, отклонено, передано); `status_notes` — текст опубликованного ответа. "
        "Имя, e-mail и телефон жителя не возвращаются никогда.",
        parameters=[API_KEY, Open311RequestsQuerySerializer],
        responses={
            200: OpenApiResponse(
                Open311RequestSerializer(many=True),
                examples=[OpenApiExample("Обращения", value=REQUEST_EXAMPLE)],
            ),
            **_errors("Неверный параметр: `[{code, description: «поле: …»}]`."),
            **URI_TOO_LONG,
        },
    )
    def get(self, request):
        params = self.query(request, Open311RequestsQuerySerializer)
        cases = services.open311_requests_list(
            request.user,
            ids=params.get("service_request_id"),
            service_codes=params.get("service_code"),
            start=params.get("start_date"),
            end=params.get("end_date"),
            statuses=params.get("status"),
        )
        return Response([services.request_as_georeport(c) for c in cases])

    @extend_schema(
        tags=["open311"],
        operation_id="open311_requests_create",
        summary="Open311: подать обращение",
        description="Регистрирует сообщение (канал `open311`, вид «инцидент», Междуреченск "
        "4.3) через общий путь загрузки: сроки начинают идти сразу. Идемпотентно для "
        "клиента: по его `service_request_id`, если он передан, иначе по содержимому "
        "обращения в течение дня — повтор отвечает 200 тем же номером. Нужно место: "
        "`lat` и `long` или `address_string`. Имя, e-mail и телефон сохраняются как автор "
        "сообщения (персональные данные) и в ответах Open311 не появляются.",
        parameters=[API_KEY],
        request={
            "application/x-www-form-urlencoded": Open311RequestInputSerializer,
            "application/json": Open311RequestInputSerializer,
        },
        responses={
            201: OpenApiResponse(Open311RequestCreatedSerializer(many=True), description="Подано."),
            200: OpenApiResponse(
                Open311RequestCreatedSerializer(many=True), description="Уже подано: тот же номер."
            ),
            **_errors(
                "Поле неверно: `[{code, description: «поле: …»}]`; ничего не сохранено.",
                codes=(400, 403, 404, 413, 429),
            ),
        },
        examples=[
            OpenApiExample(
                "Яма",
                value={
                    "service_code": "roads-potholes",
                    "lat": 53.6866,
                    "long": 88.0702,
                    "address_string": "ул. Кузнецкая, 5",
                    "description": "Глубокая яма у дома 5",
                    "first_name": "Иван",
                    "last_name": "Петров",
                    "email": "ivan@example.org",
                    "phone": "+7 900 111-22-33",
                    "media_url": "https://portal.example.ru/photo/1.jpg",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Подано",
                value={
                    "service_request_id": "42",
                    "service_notice": "Зарегистрировано: № МЖ-26-000042.",
                    "account_id": None,
                },
                response_only=True,
                status_codes=["201", "200"],
            ),
        ],
    )
    def post(self, request):
        if not hasattr(request.data, "get"):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Ожидается форма или объект JSON.")]}
            )
        serializer = Open311RequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.client_check(request, serializer.validated_data)
        result = services.open311_request_create(
            client=request.user, data=serializer.validated_data, service=serializer.service
        )
        case = result.case
        body = [
            {
                "service_request_id": str(case.pk),
                "service_notice": _("Зарегистрировано: № %(number)s.")
                % {"number": case.registration_number},
                "account_id": None,
            }
        ]
        return Response(
            body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )


class RequestDetailApi(_Open311Api):
    @extend_schema(
        tags=["open311"],
        operation_id="open311_request_get",
        summary="Open311: одно обращение",
        description="Список из одного обращения (так в GeoReport v2); чужое, неизвестное или "
        "нечисловой номер — 404.",
        parameters=[API_KEY, Open311JurisdictionSerializer],
        responses={
            200: OpenApiResponse(
                Open311RequestSerializer(many=True),
                examples=[OpenApiExample("Обращение", value=REQUEST_EXAMPLE)],
            ),
            **_errors("Неверный параметр."),
            **URI_TOO_LONG,
        },
    )
    def get(self, request, service_request_id: str):
        self.query(request)
        case = None
        if service_request_id.isdigit() and len(service_request_id) < 19:
            case = (
                services.open311_requests_for(request.user)
                .filter(pk=int(service_request_id))
                .first()
            )
        if case is None:
            raise NotFound(_("Нет такого обращения."), field="service_request_id")
        return Response([services.request_as_georeport(case)])


class XmlRefusalApi(_Open311Api):
    """``.xml``: the spec's other format is not served; the answer says so (in JSON)."""

    @extend_schema(exclude=True)
    def get(self, request, **kwargs):
        raise NotFound(_("Формат XML не поддерживается: используйте .json."), field="format")

    post = get
