"""Case pages: thin views over selectors and services."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from mcu.exceptions import NotFound

from .filtersets import CaseFilterSet
from .permissions import can_see_personal_data
from .selectors import case_base_queryset, case_get_for_user, case_timeline

PAGE_SIZE = 50


@login_required
def case_list_view(request):
    filterset = CaseFilterSet(request.GET or None, queryset=case_base_queryset(user=request.user))
    qs = filterset.qs if filterset.is_bound else filterset.queryset
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": filterset, "page": page, "total": page.paginator.count}
    template = "cases/_list_table.html" if request.htmx else "cases/list.html"
    return render(request, template, context)


@login_required
def case_detail_view(request, pk: int):
    try:
        case = case_get_for_user(user=request.user, pk=pk)
    except NotFound:
        return render(request, "404.html", status=404)
    context = {
        "case": case,
        "events": case_timeline(case=case),
        "show_personal": can_see_personal_data(request.user),
    }
    return render(request, "cases/detail.html", context)
