from django.urls import path

from . import views

app_name = "channels"

urlpatterns = [
    path("imports/", views.import_view, name="imports"),
    path("imports/<int:pk>/", views.import_job_view, name="import-job"),
    path("imports/<int:pk>/progress/", views.import_progress_view, name="import-progress"),
    path("imports/<int:pk>/rejected.<str:fmt>", views.import_report_view, name="import-report"),
    path("clusters/add/", views.cluster_add_view, name="cluster-add"),
    path("clusters/<int:pk>/confirm/", views.cluster_confirm_view, name="cluster-confirm"),
    path("clusters/<int:pk>/remove/", views.cluster_remove_view, name="cluster-remove"),
    path("clusters/<int:pk>/answer/", views.cluster_answer_view, name="cluster-answer"),
]
