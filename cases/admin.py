from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from deadlines.choices import Stage
from mcu.admin_base import MunicipalAdmin, SuperuserOnlyAdmin
from mcu.exceptions import StateConflict

from .choices import CaseKind, CaseStatus, Channel
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

#: the keys of an event's payload as the admin names them, and the choices of their values
PAYLOAD_LABELS = {
    "kind": (_("вид"), CaseKind),
    "channel": (_("канал"), Channel),
    "new_kind": (_("новый вид"), CaseKind),
    "new_channel": (_("новый канал"), Channel),
    "stage": (_("срок"), Stage),
    "status": (_("статус"), CaseStatus),
    "source": (_("источник"), None),
    "organization_name": (_("исполнитель"), None),
    "answer": (_("ответ №"), None),
    "promised_at": (_("обещанный срок"), None),
    "attachments": (_("вложений"), None),
    "rating": (_("оценка"), None),
    "comment": (_("комментарий"), None),
    "after_window": (_("после срока реакции"), None),
    "fields": (_("поля"), None),
    "via": (_("через"), None),
    "value": (_("значение"), None),
    "proposal_declined": (_("предложение отклонено"), None),
    "fast_track_proposed": (_("предложена повышенная важность"), None),
    "notice": (_("уведомление заявителя"), None),
    "days": (_("продлено, дн."), None),
    "to_body": (_("адресат"), None),
    "cluster": (_("кластер №"), None),
    "from_case": (_("из сообщения №"), None),
    "note_id": (_("заметка №"), None),
}


def _payload_value(value, choices):
    if isinstance(value, bool):
        return _("да") if value else _("нет")
    if choices is not None and isinstance(value, str) and value in choices.values:
        return choices(value).label
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


@admin.display(description=_("данные"))
def payload_display(obj):
    """An event's payload as labelled lines («канал: ВКонтакте»), not raw JSON codes."""
    rows = []
    for key, value in (obj.payload or {}).items():
        label, choices = PAYLOAD_LABELS.get(key, (key, None))
        rows.append((label, _payload_value(value, choices)))
    return format_html_join("", "<div>{}: {}</div>", rows) or "—"


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ["at", "actor", "action", "from_status", "to_status", "reason", payload_display]
    readonly_fields = fields

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
    exclude = ["payload"]
    readonly_fields = [payload_display]

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
