from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list_view, name="list"),
    path("bulk-assign/", views.case_bulk_assign_view, name="bulk-assign"),
    path("bulk-reject/", views.case_bulk_reject_view, name="bulk-reject"),
    path("bulk-category/", views.case_bulk_category_view, name="bulk-category"),
    path("export.<str:fmt>", views.case_list_export_view, name="export"),
    path("list-settings/", views.list_settings_save_view, name="list-settings"),
    path("new-count/", views.case_list_new_count_view, name="new-count"),
    path("views/", views.saved_view_save_view, name="view-save"),
    path("views/<int:pk>/delete/", views.saved_view_delete_view, name="view-delete"),
    path("new/", views.case_new_view, name="new"),
    path("<int:pk>/", views.case_detail_view, name="detail"),
    path("<int:pk>/do/<str:action>/", views.case_action_view, name="action"),
    path("<int:pk>/notes/", views.case_note_add_view, name="note-add"),
    path("<int:pk>/answer-template/", views.answer_template_insert_view, name="answer-template"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment_view, name="attachment"),
]
