"""The cluster decisions of the case card: confirm, take posts out, answer all. Thin:
the services in ``channels.clusters`` decide; the card is shown again with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mcu.exceptions import DeskError

from . import clusters


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
