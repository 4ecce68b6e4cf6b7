from django.urls import path

from . import views

urlpatterns = [
    path("rating/", views.RatingApi.as_view(), name="analytics-rating"),
    path("top-problems/", views.TopProblemsApi.as_view(), name="analytics-top-problems"),
    path("heatmap/", views.HeatmapApi.as_view(), name="analytics-heatmap"),
    path("rising/", views.RisingApi.as_view(), name="analytics-rising"),
]
