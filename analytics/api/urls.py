from django.urls import path

from mcu.db_routers import replica_view

from . import views

# Read from the replica when there is one (mcu/db_routers.py).
urlpatterns = [
    path("rating/", replica_view(views.RatingApi.as_view()), name="analytics-rating"),
    path(
        "top-problems/", replica_view(views.TopProblemsApi.as_view()), name="analytics-top-problems"
    ),
    path("heatmap/", replica_view(views.HeatmapApi.as_view()), name="analytics-heatmap"),
    path("rising/", replica_view(views.RisingApi.as_view()), name="analytics-rising"),
]
