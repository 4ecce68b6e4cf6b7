from django.urls import path

from . import views

app_name = "channels"

urlpatterns = [
    path("imports/", views.import_view, name="imports"),
    path("imports/<int:pk>/", views.import_job_view, name="import-job"),
    path("imports/<int:pk>/progress/", views.import_progress_view, name="import-progress"),
    path("imports/<int:pk>/rejected.<str:fmt>", views.import_report_view, name="import-report"),
]
