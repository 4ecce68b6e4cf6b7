from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("rating/", views.rating_view, name="rating"),
    path("top/", views.top_view, name="top"),
    path("heatmap/", views.heatmap_view, name="heatmap"),
    path("heatmap/cases/", views.heatmap_cases_view, name="cases"),
    path("rising/", views.rising_view, name="rising"),
]
