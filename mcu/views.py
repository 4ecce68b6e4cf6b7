from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

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
