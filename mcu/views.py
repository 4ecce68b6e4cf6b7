import sys
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.defaults import server_error as django_server_error

from .exceptions import DeskError, NotFound
from .forms import ApiTokenIssueForm
from .health import check_broker, check_database
from .notices import NOTICE_GROUPS_PER_PAGE, NOTICE_KINDS, notice_case_id, notice_groups
from .notifications import notifications_visible
from .tokens import (
    api_token_issue,
    api_token_revoke,
    api_token_rotate,
    api_tokens_managed_by,
    integration_users_managed_by,
    may_manage_tokens,
)


@never_cache
@require_GET
def healthz(request):
    """200 ``{"status": "ok", "db": "ok", "broker": "ok"}``; 503 naming the failing part."""
    parts = {"db": check_database(), "broker": check_broker()}
    healthy = all(v == "ok" for v in parts.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **parts}, status=200 if healthy else 503
    )


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: the desk's icon."""
    return redirect(static("img/favicon.svg"), permanent=True)


@login_required
def home(request):
    return redirect("cases:list")


@login_required
def notification_list(request):
    """Notices grouped by case and kind, paged, filtered by kind and by unread."""
    kind = request.GET.get("kind", "")
    if kind not in NOTICE_KINDS:
        kind = ""
    unread_only = request.GET.get("unread") == "1"
    groups = notice_groups(request.user, kind=kind, unread_only=unread_only)
    page = Paginator(groups, NOTICE_GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    kinds = sorted(
        (k, label)
        for k, (label, _w) in NOTICE_KINDS.items()
        if k in set(notifications_visible(request.user).values_list("event", flat=True).distinct())
    )
    return render(
        request,
        "mcu/notifications.html",
        {
            "page": page,
            "groups": page.object_list,
            "kind": kind,
            "kinds": kinds,
            "unread_only": unread_only,
        },
    )


@login_required
@require_GET
def notification_open(request, pk: int):
    """Opening a notice marks it and the rest of its group (same case, same kind) read,
    then goes where it points."""
    now = timezone.now()
    visible = notifications_visible(request.user, now=now)
    notice = visible.filter(pk=pk).first()
    if notice is None:
        return redirect("notifications")
    group = visible.filter(event=notice.event, read_at__isnull=True)
    group = group.filter(url=notice.url) if notice_case_id(notice.url) else group.filter(pk=pk)
    group.update(read_at=now)
    target = notice.url or reverse("notifications")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notifications")
    return redirect(target)


@login_required
@require_POST
def notification_mark_read(request):
    # Only what the user sees: a reminder still waiting must not arrive already read.
    # With ``ids``, only those (the ticked groups); without, all of them.
    now = timezone.now()
    qs = notifications_visible(request.user, now=now).filter(read_at__isnull=True)
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    if request.POST.get("scope") == "selected":
        qs = qs.filter(pk__in=ids)
    count = qs.update(read_at=now)
    messages.success(
        request,
        ngettext(
            "Отмечено прочитанным: %(n)s уведомление.",
            "Отмечено прочитанными: %(n)s уведомлений.",
            count,
        )
        % {"n": count},
    )
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("notifications")
    return redirect(back or "notifications")


# ---------------------------------------------------------------------------------------
# «Интеграции»: the head's page of the API keys of their municipality's integrations
# ---------------------------------------------------------------------------------------


def _integrations_render(request, *, form=None, issued=None, status=200):
    users = integration_users_managed_by(request.user).order_by("username")
    now = timezone.now()
    by_user: dict[int, list] = {u.pk: [] for u in users}
    for token in api_tokens_managed_by(request.user).order_by("-created_at", "-id"):
        token.current_state = token.state(now)
        by_user.setdefault(token.user_id, []).append(token)
    order = {"active": 0, "grace": 1, "expired": 2, "revoked": 3}
    accounts = [
        (user, sorted(by_user.get(user.pk, []), key=lambda t: order[t.current_state]))
        for user in users
    ]
    context = {
        "accounts": accounts,
        "form": form if form is not None else ApiTokenIssueForm(users=users),
        "issued": issued,
        "grace_hours": settings.API_TOKEN_ROTATION_GRACE_HOURS,
    }
    return render(request, "mcu/integrations.html", context, status=status)


def _may_manage_or_403(request):
    if not may_manage_tokens(request.user):
        return render(request, "403.html", status=403)
    return None


@login_required
@require_GET
def notification_bell(request):
    """htmx: the bell with a fresh unread count (polled by every page)."""
    return render(request, "_bell.html")


@login_required
@require_GET
def integrations(request):
    """The keys of every integration account of the head's municipality: when issued,
    until when valid, when last used; issue, rotate, revoke (``mcu.tokens``)."""
    return _may_manage_or_403(request) or _integrations_render(request)


@login_required
@require_POST
def integration_token_issue(request):
    if refused := _may_manage_or_403(request):
        return refused
    users = integration_users_managed_by(request.user).order_by("username")
    form = ApiTokenIssueForm(request.POST, users=users)
    if not form.is_valid():
        return _integrations_render(request, form=form, status=400)
    data = form.cleaned_data
    try:
        token, key = api_token_issue(
            actor=request.user,
            user=data["user"],
            name=data["name"],
            scope=data["scope"],
            lifetime=timedelta(days=data["lifetime_days"]),
        )
    except DeskError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        return _integrations_render(request, form=form, status=exc.status_code)
    # The key is in this answer only (never stored, never in the session): no redirect.
    return _integrations_render(request, issued={"token": token, "key": key}, status=201)


@login_required
@require_POST
def integration_token_rotate(request, pk):
    if refused := _may_manage_or_403(request):
        return refused
    try:
        token, key = api_token_rotate(actor=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    except DeskError as exc:
        messages.error(request, str(exc.message))
        return redirect("integrations")
    old = token.replaces
    return _integrations_render(request, issued={"token": token, "key": key, "old": old})


@login_required
@require_POST
def integration_token_revoke(request, pk):
    if refused := _may_manage_or_403(request):
        return refused
    try:
        token = api_token_revoke(actor=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    except DeskError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Ключ %(prefix)s… отозван: он больше не работает.") % {"prefix": token.prefix},
        )
    return redirect("integrations")


# The errors of a database that is away (restarting, unreachable): not a bug of the page.
DATABASE_AWAY = (OperationalError, InterfaceError)


def server_error(request):
    """``handler500``: a database that is away is a 503 the client may retry (a Russian
    page, JSON for the API), not a 500; any other error is the plain 500 page. Called by
    Django inside its ``except``, so the exception is at hand. The 503 page reads nothing
    from the database. With ``CONN_HEALTH_CHECKS`` the next request opens a new
    connection: the desk recovers when the database is back, without a restart."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_AWAY):
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"detail": _("База данных недоступна, повторите запрос позже.")}, status=503
            )
        else:
            response = HttpResponse(loader.render_to_string("503.html", request=None), status=503)
        response["Retry-After"] = "30"
        response["Cache-Control"] = "no-store"
        return response
    return django_server_error(request)
