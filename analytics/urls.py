from django.urls import path

from mcu.db_routers import replica_view

from . import note_views, views

app_name = "analytics"

# Analytics and their downloads read from the replica when there is one (mcu/db_routers.py).
urlpatterns = [
    path("rating/", replica_view(views.rating_view), name="rating"),
    path("top/", replica_view(views.top_view), name="top"),
    path("heatmap/", replica_view(views.heatmap_view), name="heatmap"),
    path("heatmap/cases/", replica_view(views.heatmap_cases_view), name="cases"),
    path("rising/", replica_view(views.rising_view), name="rising"),
    path("quarter/", replica_view(views.quarter_view), name="quarter"),
    path("summary/", replica_view(views.summary_view), name="summary"),
    path("notes/", note_views.note_list_view, name="notes"),
    path("notes/<int:pk>/", note_views.note_view, name="note"),
    path("notes/<int:pk>/causes/", note_views.note_causes_view, name="note-causes"),
    path("notes/<int:pk>/approve/", note_views.note_approve_view, name="note-approve"),
    path("notes/<int:pk>/publish/", note_views.note_publish_view, name="note-publish"),
    path("notes/<int:pk>/revise/", note_views.note_revise_view, name="note-revise"),
    path(
        "notes/<int:pk>/download/<str:fmt>/",
        note_views.note_download_view,
        name="note-download",
    ),
]
