import sys

from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.defaults import server_error as django_server_error

from .health import check_broker, check_database
from .notifications import notifications_visible


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
    items = notifications_visible(request.user)[:200]
    return render(request, "mcu/notifications.html", {"notifications": items})


@login_required
@require_POST
def notification_mark_read(request):
    # Only what the user sees: a reminder still waiting must not arrive already read.
    now = timezone.now()
    notifications_visible(request.user, now=now).filter(read_at__isnull=True).update(read_at=now)
    return redirect("notifications")


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
