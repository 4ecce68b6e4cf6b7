"""Desk pages of the analytic notes: the list (and a build form), a note's page (read;
the head edits the causes, the curator approves and publishes), and the downloads.
Thin: the services decide (``analytics.services``), the documents render the snapshot."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mcu.choices import Role
from mcu.exceptions import DeskError, NotFound
from mcu.models import Municipality

from .documents import FORMATS, document_context, note_filename, note_render
from .models import NoteKind, NoteStatus
from .notes import period_label
from .services import (
    NOTE_READERS,
    note_approve,
    note_create,
    note_get_for_user,
    note_list_for_user,
    note_publish,
    note_revise,
    note_set_causes,
)


def _readers_only(user) -> bool:
    return user.is_superuser or user.has_role(*NOTE_READERS)


def _can_build(user) -> bool:
    return user.is_superuser or user.has_role(Role.CURATOR, Role.HEAD)


@login_required
def note_list_view(request):
    if not _readers_only(request.user):
        return HttpResponse(_("Записки недоступны для вашей роли."), status=403)
    muns = list(Municipality.objects.visible_to(request.user))
    errors, status = {}, 200
    if request.method == "POST":
        if not _can_build(request.user):
            return HttpResponse(_("Собирает записку куратор или руководитель."), status=403)
        mun = next((m for m in muns if m.slug == request.POST.get("municipality")), None)
        if mun is None and len(muns) == 1:
            mun = muns[0]
        if mun is None:
            errors["municipality"] = _("Выберите МО.")
            status = 400
        else:
            try:
                note, created = note_create(
                    municipality=mun,
                    kind=request.POST.get("kind", ""),
                    period=request.POST.get("period", "").strip(),
                    actor=request.user,
                )
            except DeskError as exc:
                errors[exc.field or "period"] = str(exc.message)
                status = exc.status_code
            else:
                if created:
                    messages.success(request, _("Проект записки собран."))
                else:
                    messages.info(request, _("Записка за этот период уже есть."))
                return redirect("analytics:note", pk=note.pk)
    today = _today(muns[0]) - timedelta(days=7) if muns else None
    context = {
        "notes": note_list_for_user(user=request.user)[:200],
        "municipalities": muns,
        "kinds": NoteKind.choices,
        "can_build": _can_build(request.user),
        "errors": errors,
        "data": request.POST if request.method == "POST" else {},
        "example": period_label(NoteKind.WEEKLY, today) if today else "2026-W06",
    }
    return render(request, "analytics/notes.html", context, status=status)


def _today(mun):
    from django.utils import timezone

    return timezone.localtime(timezone.now(), mun.zone).date()


def _note_or_404(request, pk):
    try:
        return note_get_for_user(user=request.user, pk=pk)
    except NotFound:
        return None


@login_required
@require_GET
def note_view(request, pk: int):
    note = _note_or_404(request, pk)
    if note is None:
        return render(request, "404.html", status=404)
    return _note_page(request, note)


def _note_page(request, note, *, status=200, errors=None, typed=None):
    user = request.user
    ctx = document_context(note, charts=False)
    top = note.content.get("top", [])
    typed = typed or {}
    causes = [
        {
            "key": str(t["category"]),
            "name": t["name"],
            "count": t["count"],
            "text": typed.get(str(t["category"]), note.causes.get(str(t["category"]), "")),
            "error": (errors or {}).get(f"cause_{t['category']}"),
        }
        for t in top
    ]
    draft = note.status == NoteStatus.DRAFT
    ctx.update(
        {
            "causes": causes,
            "can_edit": draft and (user.is_superuser or user.has_role(Role.HEAD)),
            "can_approve": draft and (user.is_superuser or user.has_role(Role.CURATOR)),
            "can_publish": note.status == NoteStatus.APPROVED
            and (user.is_superuser or user.has_role(Role.CURATOR)),
            "can_revise": not draft and _can_build(user),
            "formats": list(FORMATS),
            "events": note.events.select_related("actor"),
            "revisions": note_list_for_user(user=user).filter(
                municipality=note.municipality, kind=note.kind, date_from=note.date_from
            ),
            "form_error": (errors or {}).get("__all__"),
        }
    )
    return render(request, "analytics/note.html", ctx, status=status)


def _act(request, pk, service, done, **kwargs):
    note = _note_or_404(request, pk)
    if note is None:
        return render(request, "404.html", status=404)
    try:
        result = service(pk=note.pk, actor=request.user, **kwargs)
    except DeskError as exc:
        note = _note_or_404(request, pk) or note
        errors = {exc.field or "__all__": str(exc.message)}
        return _note_page(
            request, note, status=exc.status_code, errors=errors, typed=kwargs.get("causes")
        )
    messages.success(request, done)
    return redirect("analytics:note", pk=result.pk)


@login_required
@require_POST
def note_causes_view(request, pk: int):
    causes = {
        key.removeprefix("cause_"): value
        for key, value in request.POST.items()
        if key.startswith("cause_")
    }
    return _act(request, pk, note_set_causes, _("Причины и решения сохранены."), causes=causes)


@login_required
@require_POST
def note_approve_view(request, pk: int):
    return _act(request, pk, note_approve, _("Записка утверждена."))


@login_required
@require_POST
def note_publish_view(request, pk: int):
    return _act(request, pk, note_publish, _("Записка опубликована."))


@login_required
@require_POST
def note_revise_view(request, pk: int):
    return _act(request, pk, note_revise, _("Собрана новая редакция."))


@login_required
@require_GET
def note_download_view(request, pk: int, fmt: str):
    note = _note_or_404(request, pk)
    if note is None or fmt not in FORMATS:
        return render(request, "404.html", status=404)
    content_type, body = note_render(note, fmt)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{note_filename(note, fmt)}"'
    return response
