"""The import page (DESIGN §5 «Import»): upload, progress, the rejected-rows report.

Thin views over ``channels.import_services``. The upload's body is limited before it is
read (``max_body_bytes``, ``RequestSizeLimitMiddleware``); the run goes to Celery after
the job's row is committed, and the job page polls its counts with htmx.

The cluster decisions of the case card (confirm, take posts out, answer all) are thin
too: the services in ``channels.clusters`` decide; the card is shown again with a message.
"""

import logging
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from analytics.exports import export_formats, table_response
from mcu.exceptions import DeskError

from . import clusters
from .forms import ImportUploadForm
from .import_services import (
    import_allowed,
    import_job_create,
    import_jobs_for,
    import_report_rows,
)
from .models_import import ImportJob

logger = logging.getLogger(__name__)

#: the file at its limit, plus the form's other fields and the multipart envelope
IMPORT_MAX_BODY_BYTES = settings.IMPORT_MAX_UPLOAD_BYTES + 256 * 1024


def _forbidden(request):
    return render(request, "403.html", status=403)


def _enqueue(job_id: int) -> None:
    from .tasks import import_run

    try:
        import_run.delay(job_id)
    except Exception:  # the broker is down: the job stays queued, beat resends it
        logger.warning("import job %s not sent to the broker; import_resume will", job_id)


@login_required
def import_view(request):
    """Upload an export; the recent jobs of the municipality below."""
    user = request.user
    if not import_allowed(user):
        return _forbidden(request)
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, municipality=user.municipality
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    job = import_job_create(
                        actor=user,
                        municipality=user.municipality,
                        upload=data["file"],
                        mapping=data["mapping"],
                        channel=data["channel"],
                    )
                    transaction.on_commit(partial(_enqueue, job.pk))
            except DeskError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                return redirect("channels:import-job", pk=job.pk)
        status = 400
    context = {"form": form, "jobs": import_jobs_for(user)}
    return render(request, "channels/imports.html", context, status=status)


import_view.max_body_bytes = IMPORT_MAX_BODY_BYTES


def _job_for(request, pk: int) -> ImportJob:
    job = (
        ImportJob.objects.filter(pk=pk, municipality_id=request.user.municipality_id)
        .select_related("uploaded_by", "mapping")
        .first()
    )
    if job is None:
        raise Http404
    return job


#: rejected rows shown on the job's page; all of them are in the report
REJECTED_PREVIEW = 10


def _job_context(job: ImportJob) -> dict:
    preview = job.rejected_rows[:REJECTED_PREVIEW] if job.is_finished else []
    return {"job": job, "formats": export_formats(), "rejected_preview": preview}


@login_required
@require_GET
def import_job_view(request, pk: int):
    if not import_allowed(request.user):
        return _forbidden(request)
    job = _job_for(request, pk)
    return render(request, "channels/import_job.html", _job_context(job))


@login_required
@require_GET
def import_progress_view(request, pk: int):
    """The job's card, which the page polls while the job runs."""
    if not import_allowed(request.user):
        return _forbidden(request)
    job = _job_for(request, pk)
    return render(request, "channels/_import_progress.html", _job_context(job))


@login_required
@require_GET
def import_report_view(request, pk: int, fmt: str):
    """The rejected rows with their reasons, as CSV or XLSX."""
    if not import_allowed(request.user):
        return _forbidden(request)
    job = _job_for(request, pk)
    headers, rows = import_report_rows(job)
    response = table_response(
        fmt,
        filename=f"import-{job.pk}-rejected",
        title=_("Отклонённые строки"),
        headers=headers,
        rows=rows,
    )
    if response is None:
        raise Http404
    return response


# Problem clusters (the routing panel of the card) ----------------------------------------


def _back(request, fallback_pk):
    try:
        pk = int(request.POST.get("case") or fallback_pk)
    except ValueError:
        pk = fallback_pk
    return redirect("cases:detail", pk=pk)


@login_required
@require_POST
def cluster_confirm_view(request, pk: int):
    try:
        cluster = clusters.cluster_confirm(pk, actor=request.user)
    except DeskError as exc:
        messages.error(request, str(exc.message))
        return _back(request, 0) if request.POST.get("case") else redirect("cases:list")
    messages.success(request, _("Кластер подтверждён: это одна проблема."))
    return _back(request, cluster.primary_id)


@login_required
@require_POST
def cluster_remove_view(request, pk: int):
    ids = request.POST.getlist("cases")
    try:
        cluster = clusters.cluster_remove(
            pk, actor=request.user, case_ids=[int(i) for i in ids if i.isdigit()]
        )
    except DeskError as exc:
        messages.error(request, str(exc.message))
        return _back(request, 0) if request.POST.get("case") else redirect("cases:list")
    if cluster is None:
        messages.success(request, _("Кластер расформирован."))
    else:
        messages.success(request, _("Сообщение исключено из кластера."))
    return _back(request, ids[0] if ids else 0)


@login_required
@require_POST
def cluster_answer_view(request, pk: int):
    try:
        result = clusters.cluster_answer(pk, actor=request.user)
    except DeskError as exc:
        messages.error(request, str(exc.message))
        return _back(request, 0) if request.POST.get("case") else redirect("cases:list")
    messages.success(
        request,
        _("Ответ опубликован по сообщениям кластера: %(n)s.") % {"n": len(result["published"])},
    )
    for case_id, reason in result["skipped"].items():
        messages.error(
            request, _("#%(pk)s не опубликовано: %(reason)s") % {"pk": case_id, "reason": reason}
        )
    return _back(request, 0)


@login_required
@require_POST
def cluster_add_view(request):
    """Add a case to an existing cluster by hand: from a member's card (``number``: the
    registration number or id of the post to add) or from the card of the post itself
    (``add``: its id, ``cluster``: the chosen cluster)."""
    back = request.POST.get("case") or 0
    try:
        cluster_id = int(request.POST.get("cluster") or "")
    except ValueError:
        messages.error(request, _("Выберите кластер."))
        return _back(request, back)
    number = (request.POST.get("number") or "").strip()
    if number:
        case = clusters.case_by_reference(user=request.user, reference=number)
        if case is None:
            messages.error(request, _("Сообщение «%(n)s» не найдено.") % {"n": number[:64]})
            return _back(request, back)
        case_id = case.pk
    else:
        raw = request.POST.get("add") or ""
        if not raw.isdigit():
            messages.error(request, _("Укажите номер сообщения."))
            return _back(request, back)
        case_id = int(raw)
    try:
        clusters.cluster_add(cluster_id, actor=request.user, case_id=case_id)
    except DeskError as exc:
        messages.error(request, str(exc.message))
        return _back(request, back)
    messages.success(request, _("Сообщение добавлено в кластер."))
    return _back(request, back or case_id)
