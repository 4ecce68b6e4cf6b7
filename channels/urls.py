from django.urls import path

from . import views

app_name = "channels"

urlpatterns = [
    path("clusters/<int:pk>/confirm/", views.cluster_confirm_view, name="cluster-confirm"),
    path("clusters/<int:pk>/remove/", views.cluster_remove_view, name="cluster-remove"),
    path("clusters/<int:pk>/answer/", views.cluster_answer_view, name="cluster-answer"),
]
