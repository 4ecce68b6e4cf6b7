from django.urls import path

from .views import IngestBatchApi, IngestItemApi

app_name = "channels-api"

urlpatterns = [
    path("ingest/", IngestItemApi.as_view(), name="ingest"),
    path("ingest/batch/", IngestBatchApi.as_view(), name="ingest-batch"),
]
