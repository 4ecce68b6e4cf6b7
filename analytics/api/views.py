"""Analytics API: the same selectors and the same parameter form as the pages, so a number
here is the number on the page. Bad parameters: 400 naming the field."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.forms import analytics_params
from analytics.indicators import (
    RISING_RULE,
    analytics_allowed,
    heatmap_district_category,
    heatmap_weekday_hour,
    rating_rows,
    rising_problems,
    top_problems,
)
from cases.permissions import can_see_personal_data

from .serializers import (
    HeatmapSerializer,
    RatingSerializer,
    RisingSerializer,
    TopProblemsSerializer,
)

PARAMETERS = [
    OpenApiParameter("municipality", OpenApiTypes.STR, description="Код (slug) МО"),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="Начало периода (местная дата)"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Конец периода включительно"),
    OpenApiParameter(
        "preset", OpenApiTypes.STR, enum=["week", "month", "quarter"], description="Вместо дат"
    ),
    OpenApiParameter("sector", OpenApiTypes.INT, description="id отраслевого блока"),
]
ERRORS = {400: OpenApiResponse(description='Неверный параметр: `{"<поле>": ["сообщение"]}`.')}


class AnalyticsApi(APIView):
    default_preset = "month"

    def params(self, request):
        if not analytics_allowed(request.user):
            raise PermissionDenied()
        scope, period, form = analytics_params(
            user=request.user, data=request.query_params, default_preset=self.default_preset
        )
        if scope is None:
            raise ValidationError(
                {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            )
        return scope, period


class RatingApi(AnalyticsApi):
    @extend_schema(
        summary="Рейтинг исполнителей",
        parameters=PARAMETERS,
        responses={200: RatingSerializer, **ERRORS},
    )
    def get(self, request):
        scope, period = self.params(request)
        return Response(rating_rows(scope=scope, period=period).as_dict())


class TopProblemsApi(AnalyticsApi):
    @extend_schema(
        summary="ТОП-5 проблем",
        parameters=PARAMETERS,
        responses={200: TopProblemsSerializer, **ERRORS},
    )
    def get(self, request):
        scope, period = self.params(request)
        problems = top_problems(
            scope=scope, period=period, with_samples=can_see_personal_data(request.user)
        )
        return Response(
            {
                "date_from": period.date_from,
                "date_to": period.date_to,
                "results": [p.as_dict() for p in problems],
            }
        )


class HeatmapApi(AnalyticsApi):
    @extend_schema(
        summary="Тепловые карты: район × категория, день недели × час",
        parameters=PARAMETERS,
        responses={200: HeatmapSerializer, **ERRORS},
    )
    def get(self, request):
        scope, period = self.params(request)
        heat = heatmap_district_category(scope=scope, period=period)
        cells = []
        for (district, category), cell in sorted(
            heat.cells.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])
        ):
            cells.append(
                {
                    "district": district,
                    "category": category,
                    "count": cell.count,
                    "overdue": cell.overdue,
                    "overdue_share": cell.overdue_share,
                    "satisfaction": cell.satisfaction,
                }
            )
        return Response(
            {
                "date_from": period.date_from,
                "date_to": period.date_to,
                "districts": [{"id": d, "name": n} for d, n in heat.rows],
                "categories": [{"id": c, "name": n} for c, n in heat.columns],
                "cells": cells,
                "weekday_hour": heatmap_weekday_hour(scope=scope, period=period),
            }
        )


class RisingApi(AnalyticsApi):
    default_preset = "week"

    @extend_schema(
        summary="Растущие проблемы (правило Пуассона)",
        parameters=PARAMETERS,
        responses={200: RisingSerializer, **ERRORS},
    )
    def get(self, request):
        scope, period = self.params(request)
        items = rising_problems(scope=scope, date_to=period.date_to)
        return Response(
            {
                "date_to": period.date_to,
                "rule": str(RISING_RULE),
                "results": [r.as_dict() for r in items],
            }
        )
