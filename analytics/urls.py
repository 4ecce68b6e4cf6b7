from django.urls import path

from . import note_views, views

app_name = "analytics"

urlpatterns = [
    path("rating/", views.rating_view, name="rating"),
    path("top/", views.top_view, name="top"),
    path("heatmap/", views.heatmap_view, name="heatmap"),
    path("heatmap/cases/", views.heatmap_cases_view, name="cases"),
    path("rising/", views.rising_view, name="rising"),
    path("quarter/", views.quarter_view, name="quarter"),
    path("summary/", views.summary_view, name="summary"),
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
