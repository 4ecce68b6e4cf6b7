"""Ingest API (DESIGN §5): ``POST /api/v1/ingest/`` and ``POST /api/v1/ingest/batch/``.

Thin views (STYLE §6.5): the token, the role (``integration``), the throttle and the form
of the body here; municipality, category, duplicates and the writes in
``channels.services``. Domain errors become 400/403/409 in ``mcu.api.exceptions``.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from mcu.api.mixins import ScopedViewSetMixin
from mcu.tokens import ApiTokenAuthentication

from .. import services
from ..limits import BATCH_MAX_BYTES, BATCH_MAX_ITEMS, ITEM_MAX_BYTES
from .permissions import IsIntegration
from .serializers import (
    IngestBatchInputSerializer,
    IngestBatchRequestSchema,
    IngestBatchResponseSerializer,
    IngestCaseSerializer,
    IngestErrorSerializer,
    IngestItemSerializer,
)
from .throttles import IngestThrottle

ITEM_EXAMPLE = {
    "channel": "vk",
    "source": "incident-manager",
    "external_id": "wall-123456_789",
    "received_at": "2026-05-08T16:30:00+07:00",
    "text": "Во дворе дома 5 по ул. Кузнецкой третий день не вывозят мусор.",
    "author": {"name": "Иван Петров", "profile_url": "https://vk.com/id1"},
    "url": "https://vk.com/wall-123456_789",
    "address": "ул. Кузнецкой, 5",
    "latitude": 53.6866,
    "longitude": 88.0702,
    "attachments": ["https://sun9-1.userapi.com/photo.jpg"],
    "category_hint": "waste",
}
CASE_EXAMPLE = {
    "id": 42,
    "registration_number": "МЖ-26-000042",
    "status": "new",
    "kind": "incident",
    "channel": "vk",
    "source": "incident-manager",
    "external_id": "wall-123456_789",
    "received_at": "2026-05-08T16:30:00+07:00",
    "municipality": "mzh",
    "category": "waste",
    "clocks": [
        {"stage": "first_reply", "due_at": "2026-05-12T09:00:00+07:00", "state": "running"},
        {"stage": "answer", "due_at": "2026-05-12T16:00:00+07:00", "state": "running"},
    ],
}


def _common_errors(bad_request: str) -> dict:
    return {
        400: OpenApiResponse(
            description=bad_request,
            examples=[
                OpenApiExample(
                    "Неверные поля",
                    value={
                        "received_at": ["Укажите время со смещением от UTC (ISO 8601), …"],
                        "text": ["Это поле не может быть пустым."],
                    },
                )
            ],
        ),
        401: OpenApiResponse(
            IngestErrorSerializer, description="Нет токена или он неверен (`Token …`)."
        ),
        403: OpenApiResponse(
            description="Учётная запись не интеграции, или МО не её: "
            '`{"detail": …}` или `{"municipality": […]}`.'
        ),
        429: OpenApiResponse(
            IngestErrorSerializer,
            description="Слишком много запросов с этим токеном; заголовок `Retry-After` "
            "говорит, через сколько секунд повторить.",
        ),
    }


class _IngestApi(ScopedViewSetMixin, APIView):
    # Token only: an integration is a program, not a browser session (no CSRF), and an
    # anonymous call is told to authenticate (401 with WWW-Authenticate: Token).
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsIntegration]
    throttle_classes = [IngestThrottle]
    max_body_bytes = ITEM_MAX_BYTES
    #: RequestSizeLimitMiddleware leaves the size to ``_check_size`` (a 400 naming the
    #: field, before the body is read)
    checks_body_size = True
    body_field = "non_field_errors"

    def _check_size(self, request) -> None:
        # The body is refused before it is parsed, by its declared length.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.max_body_bytes:
            raise serializers.ValidationError(
                {
                    self.body_field: [
                        _("Слишком большой запрос: %(size)s байт, допустимо %(max)s.")
                        % {"size": length, "max": self.max_body_bytes}
                    ]
                }
            )


class IngestItemApi(_IngestApi):
    throttle_scope = "ingest"

    @extend_schema(
        tags=["ingest"],
        summary="Загрузить одно сообщение из канала",
        description="Идемпотентно по (source, external_id): повторная доставка того же "
        "сообщения не создаёт второго — ответ 200 с тем же сообщением.",
        request=IngestItemSerializer,
        responses={
            201: OpenApiResponse(IngestCaseSerializer, description="Новое сообщение."),
            200: OpenApiResponse(
                IngestCaseSerializer, description="Уже загружено: то же сообщение."
            ),
            **_common_errors('Поле неверно: `{"<поле>": ["сообщение"]}`; ничего не сохранено.'),
            409: OpenApiResponse(description="Ключ занят сообщением другого МО."),
        },
        examples=[
            OpenApiExample("Пост ВКонтакте", value=ITEM_EXAMPLE, request_only=True),
            OpenApiExample("Сообщение", value=CASE_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request):
        self._check_size(request)
        serializer = IngestItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.ingest_item(actor=request.user, data=serializer.validated_data)
        return Response(
            IngestCaseSerializer(result.case).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class IngestBatchApi(_IngestApi):
    throttle_scope = "ingest_batch"
    max_body_bytes = BATCH_MAX_BYTES
    body_field = "items"

    @extend_schema(
        tags=["ingest"],
        summary=f"Загрузить пакет сообщений (до {BATCH_MAX_ITEMS})",
        description="Результат по каждому сообщению в порядке `items`: `created` (новое), "
        "`duplicate` (уже загружено, в том числе ранее в этом же пакете) или `error` с "
        "полями; ошибка одного сообщения не мешает остальным.",
        request=IngestBatchRequestSchema,
        responses={
            200: IngestBatchResponseSerializer,
            **_common_errors(
                f'Пакет пуст, не список или больше {BATCH_MAX_ITEMS} сообщений: `{{"items": […]}}`.'
            ),
        },
        examples=[
            OpenApiExample("Пакет", value={"items": [ITEM_EXAMPLE]}, request_only=True),
            OpenApiExample(
                "Результаты",
                value={
                    "results": [
                        {"status": "created", "id": 42},
                        {"status": "duplicate", "id": 17},
                        {"status": "error", "errors": {"text": ["Это поле не может быть пустым."]}},
                    ]
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        self._check_size(request)
        envelope = IngestBatchInputSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        results: list[dict | None] = []
        valid: list[tuple[int, dict]] = []
        # One serializer checks every item in turn, as DRF's ListSerializer does with its
        # child: its fields are built once, not a thousand times.
        checker = IngestItemSerializer()
        for i, raw in enumerate(envelope.validated_data["items"]):
            try:
                data = checker.run_validation(raw)
            except serializers.ValidationError as exc:
                errors = exc.detail
                if not isinstance(errors, dict):  # e.g. null instead of an object
                    errors = {"non_field_errors": errors}
                results.append({"status": "error", "errors": errors})
            else:
                valid.append((i, data))
                results.append(None)
        outcomes = services.ingest_batch(actor=request.user, items=[data for _i, data in valid])
        for (i, _data), outcome in zip(valid, outcomes, strict=True):
            if outcome.case is not None:
                results[i] = {"status": outcome.status, "id": outcome.case.pk}
            else:
                results[i] = {"status": "error", "errors": outcome.errors}
        return Response({"results": results})
