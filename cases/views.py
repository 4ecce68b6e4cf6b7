"""Case pages: thin views over selectors and services.

The card's actions are plain forms that post to ``cases:action``; with htmx the card is
re-rendered in place, without it the browser follows a redirect. A 409 (someone else acted
first) keeps what the user typed and says so.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from deadlines.selectors import with_running_clocks
from mcu.exceptions import DeskError, InvalidInput, NotFound, StateConflict

from . import services
from .actions import ACTION_SPECS
from .choices import CaseStatus, EventAction
from .exports import EXPORT_MAX_ROWS, case_export_response, case_export_rows
from .filtersets import CaseFilterSet
from .forms import BulkAssignForm, BulkCategoryForm, BulkRejectForm, CaseNoteForm, NewCaseForm
from .pagination import (
    COUNT_CAP,
    MAX_NUMBERED_PAGE,
    CappedPaginator,
    KeysetPage,
    cursor_decode,
    cursor_encode,
    keyset_after,
)
from .permissions import can_see_personal_data
from .queues import QUEUE_LABELS, queue_apply, queues_for
from .saved_views import (
    OPTIONAL_COLUMNS,
    PAGE_SIZE,
    PAGE_SIZES,
    list_settings_for,
    list_settings_save,
    saved_view_delete,
    saved_view_query,
    saved_view_save,
    saved_views_for,
)
from .selectors import (
    answer_template_get,
    answer_templates_for,
    attachment_get_for_user,
    case_answers,
    case_base_queryset,
    case_get_for_user,
    case_notes,
    case_queue_counts,
    case_resident_files,
    case_timeline,
)

# The list's columns that sort: (ordering key, direction of the first click).
SORTABLE = {
    "number": "-number",
    "received_at": "-received_at",
    "status": "status",
    "deadline": "deadline",
}

CONFLICT_MESSAGE = gettext_lazy(
    "Сообщение уже изменил другой пользователь — действие не выполнено. Ваш текст сохранён "
    "в форме; обновите карточку, чтобы увидеть новое состояние."
)


# ---------------------------------------------------------------------------------------
# The list
# ---------------------------------------------------------------------------------------


def case_list_queryset(request, base):
    """The list's cases for a request: ``base`` (the user's scope) in the asked queue,
    filtered and ordered as the page shows them; also the filterset, queue and params.
    The page and its export (``case_list_export_view``) read the same rows."""
    user = request.user
    queue = request.GET.get("queue", "")
    if queue in queues_for(user):
        base = queue_apply(base, queue, user)
    else:
        queue = ""
    params = request.GET.copy()
    # Inside a queue the nearest deadline comes first unless the user sorts otherwise
    # (``ordering=deadline`` is the filterset's, on the annotation from deadlines).
    if queue and not params.get("ordering"):
        params["ordering"] = "deadline"
    filterset = CaseFilterSet(params or None, queryset=base, request=request)
    qs = filterset.qs if filterset.is_bound else filterset.queryset
    return qs, filterset, queue, params


@login_required
def case_list_view(request):
    user = request.user
    available = queues_for(user)
    # Only the prefetch of the running clocks (the badges); ``nearest_due_at`` is added by
    # the filterset when the list is sorted by deadline, and only then.
    qs, filterset, queue, params = case_list_queryset(
        request, with_running_clocks(case_base_queryset(user=user))
    )
    # The user's own page size and columns: one more query (a row that may not exist).
    prefs = list_settings_for(user)
    hidden = set(prefs.hidden_columns if prefs else ()) & set(OPTIONAL_COLUMNS)
    page_size = _page_size(request, default=prefs.page_size if prefs else None)
    paginator = CappedPaginator(qs, page_size)
    cursor = cursor_decode(request.GET.get("after"))
    # The keyset only follows the default order (newest first).
    keyset = not params.get("ordering") or params.get("ordering") == "-received_at"
    after_page = None
    if cursor is not None and keyset:
        after_page = KeysetPage(list(keyset_after(qs, cursor)[: page_size + 1]), page_size)
        page = None
    else:
        page = paginator.get_page(request.GET.get("page"))
    next_cursor = ""
    if after_page is not None:
        next_cursor = after_page.next_cursor
    elif keyset and page.has_next() and page.number >= MAX_NUMBERED_PAGE:
        next_cursor = cursor_encode(page.object_list[len(page.object_list) - 1])
    counts = case_queue_counts(user=user)
    ordering = params.get("ordering") or "-received_at"
    show_municipality = user.municipality_id is None
    # The bulk bar's actions (the transition table's roles, no query); the ticks and the
    # bar only for a role that has one of them.
    bulk = _bulk_rights(user)
    can_bulk = any(bulk.values())
    context = {
        "filter": filterset,
        "page": page,
        "rows": after_page if after_page is not None else page,
        "after_page": after_page,
        "next_cursor": next_cursor,
        "total": paginator.count,
        "total_capped": paginator.capped,
        "count_cap": f"{COUNT_CAP:,}".replace(",", "\u00a0"),
        "queue": queue,
        "queues": [(name, QUEUE_LABELS[name], counts.get(name, 0)) for name in available],
        "can_bulk": can_bulk,
        "can_bulk_assign": bulk["assign"],
        "bulk": bulk,
        "show_municipality": show_municipality,
        # [Checkbox], number, [received], [МО], text, [category, executor, status, deadline].
        "column_count": 2
        + len(OPTIONAL_COLUMNS)
        - len(hidden)
        + int(can_bulk)
        + int(show_municipality),
        "col": {name: name not in hidden for name in OPTIONAL_COLUMNS},
        "optional_columns": [(n, label, n not in hidden) for n, label in OPTIONAL_COLUMNS.items()],
        "sort": _sort_links(ordering),
        "chips": _filter_chips(filterset),
        "filter_errors": _filter_errors(filterset),
        "page_size": page_size,
        "page_sizes": PAGE_SIZES,
    }
    if bulk["assign"] or bulk["category"]:
        # One category select serves both «Назначить» and «Изменить категорию».
        context["bulk_form"] = BulkAssignForm(user=user, auto_id="bulk_%s")
    context["export_query"] = _export_query(request)
    context["saved_views"] = list(saved_views_for(user))
    context["view_query"] = saved_view_query(request.GET)
    context["can_export_personal"] = can_see_personal_data(user)
    # The newest case shown, for the «new items» poll (from the rows already read).
    shown = [case.received_at for case in context["rows"] if case.received_at]
    context["newest_shown"] = max(shown).isoformat() if shown else ""
    template = "cases/_list_table.html" if request.htmx else "cases/list.html"
    return render(request, template, context)


def _export_query(request) -> str:
    """The list's query without its position (page, cursor): what the export reads."""
    query = request.GET.copy()
    for name in ("page", "after", "personal"):
        query.pop(name, None)
    return query.urlencode()


@login_required
@require_GET
def case_list_new_count_view(request):
    """«Новых: N»: how many cases of the list (same scope, queue and filters) came in after
    ``since`` (the newest shown). One COUNT, polled by the page (``desk.js``) once a minute."""
    since = parse_datetime(request.GET.get("since", ""))
    if since is None:
        return JsonResponse({"since": [_("Укажите время в формате ISO 8601.")]}, status=400)
    base = case_base_queryset(user=request.user)
    qs, filterset, _queue, _params = case_list_queryset(request, base)
    if filterset.is_bound and filterset.errors:
        return JsonResponse(filterset.errors, status=400)
    return JsonResponse({"count": qs.filter(received_at__gt=since).order_by().count()})


@login_required
@require_POST
def saved_view_save_view(request):
    """«Сохранить вид»: the list's current parameters under a name; back to that list."""
    query = QueryDict(request.POST.get("query", ""))
    try:
        view = saved_view_save(owner=request.user, name=request.POST.get("name", ""), params=query)
    except DeskError as exc:
        messages.error(request, str(exc))
        return redirect(f"{reverse('cases:list')}?{saved_view_query(query)}")
    messages.success(request, _("Вид «%(name)s» сохранён") % {"name": view.name})
    return redirect(f"{reverse('cases:list')}?{view.query}")


@login_required
@require_POST
def saved_view_delete_view(request, pk: int):
    try:
        saved_view_delete(owner=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("Вид удалён"))
    return redirect(reverse("cases:list"))


@login_required
def case_list_export_view(request, fmt: str):
    """The filtered list as CSV or XLSX (``cases/exports.py``): the same rows as the page,
    the resident's personal data only when asked for and permitted."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    user = request.user
    personal = request.GET.get("personal") == "1"
    if personal and not can_see_personal_data(user):
        raise PermissionDenied(_("Персональные данные заявителей этой роли недоступны."))
    qs, filterset, _queue, _params = case_list_queryset(request, case_base_queryset(user=user))
    back = f"{reverse('cases:list')}?{_export_query(request)}"
    if filterset.is_bound and filterset.errors:
        messages.error(request, _("Исправьте фильтры: выгрузка не сделана."))
        return redirect(back)
    count = qs.order_by()[: EXPORT_MAX_ROWS + 1].count()
    if count > EXPORT_MAX_ROWS:
        messages.error(
            request,
            _("Выгрузка ограничена %(n)s строками: уточните фильтры.")
            % {"n": f"{EXPORT_MAX_ROWS:,}".replace(",", "\u00a0")},
        )
        return redirect(back)
    rows = case_export_rows(qs, personal=personal, municipality=user.municipality_id is None)
    filename = f"cases-{timezone.localdate():%Y-%m-%d}"
    return case_export_response(fmt, rows, filename=filename)


def _page_size(request, *, default: int | None = None) -> int:
    """``per_page`` of the query, else the user's own (``ListSettings``), else 25."""
    default = default if default in PAGE_SIZES else PAGE_SIZE
    try:
        size = int(request.GET.get("per_page", default))
    except ValueError:
        return default
    return size if size in PAGE_SIZES else default


@login_required
@require_POST
def list_settings_save_view(request):
    """«Столбцы»: the user's page size and shown columns, kept for the next visit."""
    try:
        list_settings_save(
            user=request.user,
            per_page=request.POST.get("per_page", ""),
            shown=request.POST.getlist("columns"),
        )
    except InvalidInput as exc:
        return HttpResponse(str(exc.message), status=400)
    messages.success(request, _("Настройки списка сохранены"))
    query = QueryDict(request.POST.get("query", "")).copy()
    query.pop("per_page", None)
    return redirect(f"{reverse('cases:list')}?{query.urlencode()}")


def _sort_links(ordering: str) -> dict:
    """Per sortable column: the ordering its header link asks for, and the arrow shown when
    the list is sorted by it (both directions: a second click reverses)."""
    links = {}
    for key, first in SORTABLE.items():
        if ordering == key:
            links[key] = {"next": f"-{key}", "arrow": "▲", "aria": "ascending"}
        elif ordering == f"-{key}":
            links[key] = {"next": key, "arrow": "▼", "aria": "descending"}
        else:
            links[key] = {"next": first, "arrow": "", "aria": ""}
    return links


# Filters that are not shown as chips: the order, the paging, the queue (its own tabs).
_NOT_CHIPS = {"ordering"}


def _filter_chips(filterset) -> list[dict]:
    """The active filters as removable chips: «Статус: Новое, Назначено ×»."""
    if not filterset.is_bound or not filterset.form.is_valid():
        data = getattr(filterset.form, "cleaned_data", {}) or {}
    else:
        data = filterset.form.cleaned_data
    chips = []
    for name, value in data.items():
        if name in _NOT_CHIPS or value in (None, "", [], ()):
            continue
        field = filterset.form.fields[name]
        if isinstance(value, bool):
            text = _("да") if value else _("нет")
        elif isinstance(value, list | tuple):
            choices = dict(field.choices)
            text = ", ".join(str(choices.get(v, v)) for v in value)
        elif hasattr(value, "strftime"):
            text = value.strftime("%d.%m.%Y")
        else:
            text = str(value)
        params = filterset.data.copy()
        params.pop(name, None)
        for key in ("page", "after"):
            params.pop(key, None)
        chips.append(
            {"name": name, "label": field.label, "text": text, "remove": params.urlencode()}
        )
    return chips


def _filter_errors(filterset) -> list[str]:
    """A filter that cannot be read is said, in the user's words: «Поступило с: Введите
    правильную дату.» — never silently ignored."""
    if not filterset.is_bound or filterset.form.is_valid():
        return []
    lines = []
    for name, errors in filterset.form.errors.items():
        label = filterset.form.fields[name].label if name in filterset.form.fields else ""
        lines.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return lines


def _bulk_rights(user) -> dict[str, bool]:
    """Which actions of the bulk bar the user's role may take: each one the transition
    table's own action, asked as the card asks it (no query)."""
    return {
        "assign": services.case_role_may(user, "assign"),
        "reject": services.case_role_may(user, "reject"),
        "category": services.case_role_may(user, "set_category"),
    }


def _bulk_back(request) -> str:
    """Back to the list the bar was posted from; only a page of this desk: «//evil.example»
    or «/\\evil» must not leave it."""
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("cases:list")
    return back


def _bulk_form_errors(request, form) -> None:
    """Named as the bar names them: the ticked rows, the field the user filled in."""
    for field, errors in form.errors.items():
        if field == "ids" and not form.data.getlist("ids"):
            messages.error(request, _("Отметьте в списке хотя бы одно сообщение."))
            continue
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


def _bulk_apply(request, ids, step) -> tuple[int, list[str]]:
    """``step(pk)`` — one case's own service — for each ticked case, each in its own
    transaction: a refusal (another status, someone else first, out of scope) undoes
    only that case. Returns how many were done and the refusals, each named by the
    case's registration number (never its internal id) with the service's reason."""
    numbers = dict(
        case_base_queryset(user=request.user)
        .filter(pk__in=ids)
        .values_list("pk", "registration_number")
    )
    done, failed = 0, []
    for pk in ids:
        try:
            with transaction.atomic():
                step(pk)
        except DeskError as exc:
            number = numbers.get(pk)
            # A case out of the user's scope is not named, nor is why it was refused.
            failed.append(f"{number}: {exc.message}" if number else _("(сообщение не найдено)"))
        else:
            done += 1
    return done, failed


def _bulk_action(request, *, right: str, form_class, step, done_text, failed_text):
    """One action of the bulk bar: the role's right (403), the form (its errors named as
    the bar names them), then ``step(form, pk)`` — the case's own service — for each
    ticked case (``_bulk_apply``); ``done_text(form, n)`` and ``failed_text`` word the
    messages. A GET (a bookmark, a reload) goes back to the list."""
    if request.method != "POST":
        return redirect("cases:list")
    if not _bulk_rights(request.user)[right]:
        return HttpResponse(_("Это действие недоступно для вашей роли."), status=403)
    form = form_class(request.POST, user=request.user)
    back = _bulk_back(request)
    if not form.is_valid():
        _bulk_form_errors(request, form)
        return redirect(back)
    done, failed = _bulk_apply(request, form.cleaned_data["ids"], lambda pk: step(form, pk))
    if done:
        messages.success(request, done_text(form, done))
    for line in failed:
        messages.error(request, failed_text % {"line": line})
    return redirect(back)


@login_required
def case_bulk_assign_view(request):
    """Administrators: many cases of the moderation queue to one organisation at once."""
    return _bulk_action(
        request,
        right="assign",
        form_class=BulkAssignForm,
        step=lambda form, pk: services.case_assign(
            pk,
            actor=request.user,
            organisation=form.cleaned_data["organization"],
            category=form.cleaned_data["category"],
        ),
        done_text=lambda form, n: _("Назначено сообщений: %(n)s.") % {"n": n},
        failed_text=_("Не назначено %(line)s"),
    )


def _rejected_text(form, n: int) -> str:
    if form.cleaned_data["reason_kind"] == "duplicate":
        return _("Отклонено как дубликат № %(number)s: %(n)s") % {
            "number": form.cleaned_data["duplicate_of"],
            "n": n,
        }
    return _("Отклонено как спам: %(n)s") % {"n": n}


@login_required
def case_bulk_reject_view(request):
    """Administrators: the ticked cases rejected as spam, or as duplicates of one
    original — each through ``case_reject``, as the card's «Отклонить» does."""
    return _bulk_action(
        request,
        right="reject",
        form_class=BulkRejectForm,
        step=lambda form, pk: services.case_reject(pk, actor=request.user, **form.service_kwargs()),
        done_text=_rejected_text,
        failed_text=_("Не отклонено %(line)s"),
    )


@login_required
def case_bulk_category_view(request):
    """Administrators: one category on the ticked cases, each through
    ``case_set_category`` (the clocks re-select their policies)."""
    return _bulk_action(
        request,
        right="category",
        form_class=BulkCategoryForm,
        step=lambda form, pk: services.case_set_category(
            pk, actor=request.user, category=form.cleaned_data["category"]
        ),
        done_text=lambda form, n: _("Категория изменена: %(n)s") % {"n": n},
        failed_text=_("Категория не изменена %(line)s"),
    )


@login_required
def case_new_view(request):
    """«Новое обращение»: a hotline call, a 59-ФЗ appeal, a post found by manual
    monitoring. The new case opens on its card with its clocks running."""
    if not services.case_may_register(request.user):
        return render(request, "403.html", status=403)
    form = NewCaseForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = services.case_register_by_staff(actor=request.user, **form.service_kwargs())
            except DeskError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                messages.success(
                    request,
                    _("Обращение зарегистрировано: %(number)s") % {"number": case},
                )
                return redirect("cases:detail", pk=case.pk)
        status = 400
    return render(request, "cases/new.html", {"form": form}, status=status)


# ---------------------------------------------------------------------------------------
# The card
# ---------------------------------------------------------------------------------------


def _card_context(request, case, *, bound_form=None, message=None) -> dict:
    user = request.user
    allowed = services.case_allowed_actions(user, case)
    forms = []
    # The main step first, the ones that send the case back or aside last.
    for action in sorted(allowed, key=lambda a: ACTION_SPECS[a].secondary):
        spec = ACTION_SPECS[action]
        if bound_form is not None and bound_form.action == action:
            form = bound_form
        else:
            form = spec.form(case=case, user=user)
        forms.append((spec, form))
    answers = list(case_answers(case=case))
    events = list(case_timeline(case=case))
    final_answer = next((a for a in reversed(answers) if a.kind == "final"), None)
    return {
        "case": case,
        "events": events,
        "attention": _attention(case, events),
        "final_answer_badge": _answer_badge(case, final_answer),
        "last_feedback": case.feedback.order_by("-at", "-id").first(),
        "show_personal": can_see_personal_data(user),
        "allowed": allowed,
        "action_forms": forms,
        "answers": answers,
        "final_answer": final_answer,
        "interim_answers": [a for a in answers if a.kind == "interim"],
        # The latest «возврат на доработку», from the timeline already read.
        "last_return": (
            next((e for e in reversed(events) if e.action == EventAction.RETURN), None)
            if case.status == "in_progress"
            else None
        ),
        "answer_templates": (
            list(answer_templates_for(case=case))
            if "submit_answer" in allowed or "interim_answer" in allowed
            else []
        ),
        "card_message": message,
        **_notes_context(user, case),
        "resident_files": case_resident_files(case=case),
    }


def _notes_context(user, case, *, form=None, message=None) -> dict:
    """The card's internal notes: read by everyone who works with the case, written by
    all of them but the observer."""
    if not services.case_note_may_read(user):
        return {"show_notes": False}
    may_add = services.case_note_may_add(user)
    return {
        "show_notes": True,
        "notes": list(case_notes(case=case)),
        "note_form": (form or CaseNoteForm(auto_id="id_note_%s")) if may_add else None,
        "note_message": message,
    }


@login_required
@require_POST
def case_note_add_view(request, pk: int):
    """htmx: add an internal note; answers with the notes section (the whole card page
    without htmx)."""
    try:
        case = case_get_for_user(user=request.user, pk=pk)
    except NotFound:
        return render(request, "404.html", status=404)
    if not services.case_note_may_add(request.user):
        return render(request, "403.html", status=403)
    form = CaseNoteForm(request.POST, auto_id="id_note_%s")
    status, message = 200, None
    if form.is_valid():
        try:
            services.case_note_add(case=case, actor=request.user, text=form.cleaned_data["text"])
        except DeskError as exc:
            status = exc.status_code
            form.add_error("text" if exc.field == "text" else None, str(exc.message))
        else:
            form, message = None, _("Заметка добавлена")
    else:
        status = 400
    if not request.htmx:
        if status == 200:
            messages.success(request, message)
        else:
            messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect("cases:detail", pk=case.pk)
    context = {"case": case, **_notes_context(request.user, case, form=form, message=message)}
    return render(request, "cases/_notes.html", context, status=status)


# Why a case is in front of the user again: the latest of these events, while it holds.
_ATTENTION = {
    EventAction.RETURN: (CaseStatus.IN_PROGRESS, gettext_lazy("Ответ возвращён на доработку")),
    EventAction.REOPEN: (
        CaseStatus.IN_PROGRESS,
        gettext_lazy("Заявитель вернул сообщение в работу"),
    ),
    EventAction.REQUEST_REASSIGNMENT: (
        CaseStatus.NEW,
        gettext_lazy("Исполнитель запросил переназначение"),
    ),
    EventAction.RETURN_INTERIM: (
        CaseStatus.IN_PROGRESS,
        gettext_lazy("Промежуточный ответ возвращён"),
    ),
}
_STEPS = {
    EventAction.ASSIGN,
    EventAction.ACCEPT,
    EventAction.SUBMIT_ANSWER,
    EventAction.APPROVE,
    EventAction.PUBLISH,
    EventAction.CLOSE,
    EventAction.REJECT,
    EventAction.FORWARD,
}


def _attention(case, events) -> dict | None:
    """What the user must act on, for the top of the card: the case came back (returned,
    reopened by the resident with their words and rating, reassignment requested) and
    why. Only while it still holds: a later step of the workflow ends it."""
    for ev in reversed(events):
        if ev.action in _ATTENTION:
            status, title = _ATTENTION[ev.action]
            if case.status != status:
                return None
            return {
                "action": ev.action,
                "title": title,
                "reason": ev.reason or (ev.payload or {}).get("comment", ""),
                "rating": (ev.payload or {}).get("rating"),
                "organisation": (ev.payload or {}).get("organization_name", ""),
                "event": ev,
            }
        if ev.action in _STEPS:
            return None
    return None


def _answer_badge(case, answer) -> tuple[str, str] | None:
    """The final answer's badge as the case stands now (the answer row's own status
    says «На проверке» long after the check): label and CSS status."""
    if answer is None:
        return None
    if answer.status == answer.Status.SUBMITTED:
        by_case = {
            CaseStatus.ON_REVIEW: _("На проверке"),
            CaseStatus.ON_APPROVAL: _("Ожидает утверждения"),
            CaseStatus.APPROVED: _("Готово к публикации"),
        }
        if case.status in by_case:
            return by_case[case.status], case.status
    if answer.status == answer.Status.APPROVED:
        return _("Готово к публикации"), "approved"
    return answer.get_status_display(), answer.status


@login_required
def case_detail_view(request, pk: int):
    try:
        case = case_get_for_user(user=request.user, pk=pk)
    except NotFound:
        return render(request, "404.html", status=404)
    return render(request, "cases/detail.html", _card_context(request, case))


def _conflict_message(exc: DeskError):
    if isinstance(exc, NotFound) or exc.message == exc.default_message:
        return CONFLICT_MESSAGE
    return _("%(message)s Ваш текст сохранён в форме.") % {"message": exc.message}


@login_required
def case_action_view(request, pk: int, action: str):
    """One action of the card, any of them (``cases.actions``): the form parses, the
    service decides, the card is shown again. A lost race — the service answers 409, or
    404 because the case left the user's scope meanwhile — is shown as the conflict it
    is, with what the user typed kept; never as a success."""
    spec = ACTION_SPECS.get(action)
    if spec is None:
        raise Http404
    if request.method != "POST":
        # An action's address opened by hand (a bookmark, a reload): the card it acts on.
        return redirect("cases:detail", pk=pk)
    try:
        case = case_get_for_user(user=request.user, pk=pk)
    except NotFound:
        return render(request, "404.html", status=404)
    form = spec.form(request.POST, request.FILES, case=case, user=request.user)
    status, message = 200, None
    if form.is_valid():
        try:
            spec.service(case.pk, actor=request.user, **form.service_kwargs())
        except (StateConflict, NotFound) as exc:
            status, message = 409, _conflict_message(exc)
        except DeskError as exc:
            status = exc.status_code
            if exc.field and exc.field in form.fields:
                form.add_error(exc.field, str(exc.message))
            else:
                form.add_error(None, str(exc.message))
    else:
        status = 400
    try:
        case = case_get_for_user(user=request.user, pk=pk)
    except NotFound:
        if status == 200 and spec.leaves_scope:
            # The user's own step took the case out of their scope.
            messages.success(request, spec.done_leaving or spec.done)
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("cases:list")
                return response
            return redirect("cases:list")
        # Someone else took it out of the user's scope meanwhile.
        messages.error(request, CONFLICT_MESSAGE)
        return redirect("cases:list")
    if status == 200:
        if not request.htmx:
            messages.success(request, spec.done)
            return redirect("cases:detail", pk=case.pk)
        form, message = None, spec.done
    if status == 409:
        # The typed text stays, and the form now carries the version just shown: after
        # reading what the other person changed, the user may send it again.
        data = request.POST.copy()
        data["version"] = str(case.version)
        form = spec.form(data, case=case, user=request.user)
    context = _card_context(
        request, case, bound_form=form if status != 200 else None, message=message
    )
    context["card_status"] = status
    if status == 409:
        # Keep what the user typed even when the action is gone from the fresh card.
        context["kept_text"] = (
            form.data.get("text") or form.data.get("reason") or form.data.get("comment") or ""
        )
    template = "cases/_card.html" if request.htmx else "cases/detail.html"
    response = render(request, template, context, status=status)
    if status == 409:
        response["X-Desk-Message"] = "conflict"
    return response


@login_required
@require_GET
def answer_template_insert_view(request, pk: int):
    """htmx: the answer textarea with the chosen template's text added to what is typed."""
    try:
        case = case_get_for_user(user=request.user, pk=pk)
    except NotFound:
        return render(request, "404.html", status=404)
    action = request.GET.get("action", "submit_answer")
    if action not in ("submit_answer", "interim_answer"):
        action = "submit_answer"
    current = request.GET.get("text", "")
    template_id = request.GET.get("template")
    text = current
    if template_id:
        try:
            template = answer_template_get(case=case, pk=template_id)
        except NotFound:
            return HttpResponse(_("Шаблон не найден."), status=404)
        text = (
            f"{current.rstrip()}\n\n{template.text}".strip() if current.strip() else (template.text)
        )
    form = ACTION_SPECS[action].form(initial={"text": text}, case=case, user=request.user)
    return render(request, "cases/_answer_textarea.html", {"field": form["text"]})


@login_required
@require_GET
def attachment_view(request, pk: int, attachment_id: int):
    """An answer's file, only for users who see the case."""
    try:
        attachment = attachment_get_for_user(user=request.user, case_pk=pk, pk=attachment_id)
    except NotFound:
        raise Http404 from None
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.download_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
