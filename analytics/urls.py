from django.urls import path

from mcu.db_routers import replica_view

from . import views

app_name = "analytics"

# Analytics and their downloads read from the replica when there is one (mcu/db_routers.py).
urlpatterns = [
    path("rating/", replica_view(views.rating_view), name="rating"),
    path("top/", replica_view(views.top_view), name="top"),
    path("heatmap/", replica_view(views.heatmap_view), name="heatmap"),
    path("heatmap/cases/", replica_view(views.heatmap_cases_view), name="cases"),
    path("rising/", replica_view(views.rising_view), name="rising"),
]
