"""GeoReport v2 under ``/open311/v2/`` (mcu/urls.py). JSON only; ``.xml`` is refused
with a GeoReport error saying so."""

from django.urls import path, re_path

from . import views

app_name = "open311"

urlpatterns = [
    path("services.json", views.ServiceListApi.as_view(), name="services"),
    path(
        "services/<str:service_code>.json",
        views.ServiceDefinitionApi.as_view(),
        name="service",
    ),
    path("requests.json", views.RequestListApi.as_view(), name="requests"),
    path(
        "requests/<str:service_request_id>.json",
        views.RequestDetailApi.as_view(),
        name="request",
    ),
    re_path(r"^(?:services|requests)(?:/[^/]+)?\.xml$", views.XmlRefusalApi.as_view()),
]
