from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models

from mcu.admin_base import MunicipalAdmin, SuperuserOnlyAdmin
from mcu.exceptions import StateConflict

from .models import (
    Answer,
    AnswerTemplate,
    ApprovalRequirement,
    Attachment,
    Case,
    CaseEvent,
    CaseNote,
    Feedback,
)
from .services import case_edit_by_admin


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "action", "from_status", "to_status", "reason", "payload"]

    def has_add_permission(self, request, obj=None):
        return False


class AnswerInline(admin.StackedInline):
    model = Answer
    extra = 0
    can_delete = False
    readonly_fields = [
        "kind",
        "status",
        "text",
        "promised_at",
        "author",
        "created_at",
        "return_reason",
        "published_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(SuperuserOnlyAdmin):
    """Read-mostly: the workflow changes cases through services, not through the admin."""

    list_display = [
        "__str__",
        "municipality",
        "kind",
        "channel",
        "status",
        "organisation",
        "received_at",
        "fast_track",
    ]
    list_filter = ["municipality", "kind", "channel", "status", "fast_track"]
    search_fields = ["registration_number", "external_id", "search_text"]
    date_hierarchy = "received_at"
    list_select_related = ["municipality", "organisation"]
    raw_id_fields = ["repeats", "duplicate_of", "assignee"]
    readonly_fields = [
        "status",
        "version",
        "created_at",
        "updated_at",
        "published_at",
        "closed_at",
        "repeat_count",
        "satisfaction",
        "fast_track",
    ]
    inlines = [AnswerInline, CaseEventInline]
    # A link typed without a scheme is https (Django 6's default, said explicitly now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request):
        # Cases come in through the channels and the registration forms, with their clocks.
        return False

    def save_model(self, request, obj, form, change) -> None:
        try:
            case_edit_by_admin(case=obj, actor=request.user, changed_fields=form.changed_data)
        except StateConflict as exc:
            # The case moved on while the form was open: nothing was written.
            raise PermissionDenied(str(exc.message)) from exc


@admin.register(CaseEvent)
class CaseEventAdmin(SuperuserOnlyAdmin):
    list_display = ["case", "at", "actor", "action", "from_status", "to_status"]
    list_filter = ["action"]
    raw_id_fields = ["case", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApprovalRequirement)
class ApprovalRequirementAdmin(MunicipalAdmin):
    """Where answers need the curator's approval (Междуреченск 3.6). No row — no curator
    step for that (municipality, kind)."""

    list_display = ["municipality", "kind", "required"]
    list_filter = ["municipality", "kind", "required"]
    list_editable = ["required"]


@admin.register(AnswerTemplate)
class AnswerTemplateAdmin(MunicipalAdmin):
    """Heads keep their municipality's templates; shared ones (no municipality) are the
    superuser's."""

    show_shared = True
    list_display = ["title", "category", "municipality", "is_active"]
    list_filter = ["is_active", "municipality", "category__parent"]
    search_fields = ["title", "text"]
    list_select_related = ["category", "municipality"]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    readonly_fields = ["file", "original_name", "content_type", "size", "uploaded_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Answer)
class AnswerAdmin(SuperuserOnlyAdmin):
    list_display = ["case", "kind", "status", "author", "created_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["case", "author"]
    readonly_fields = [
        "case",
        "kind",
        "status",
        "text",
        "promised_at",
        "author",
        "created_at",
        "return_reason",
        "published_at",
    ]
    inlines = [AttachmentInline]

    def has_add_permission(self, request):
        return False


@admin.register(Feedback)
class FeedbackAdmin(SuperuserOnlyAdmin):
    list_display = ["case", "rating", "reopened", "recorded_by", "at"]
    list_filter = ["reopened", "rating"]
    raw_id_fields = ["case", "answer", "recorded_by"]
    readonly_fields = ["case", "answer", "rating", "comment", "reopened", "recorded_by", "at"]

    def has_add_permission(self, request):
        return False


@admin.register(CaseNote)
class CaseNoteAdmin(SuperuserOnlyAdmin):
    """Internal notes, read-only: written on the card (``case_note_add``) with their audit
    line; never edited afterwards."""

    list_display = ["case", "author", "created_at"]
    raw_id_fields = ["case", "author"]
    readonly_fields = ["case", "author", "text", "created_at"]
    search_fields = ["text"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
