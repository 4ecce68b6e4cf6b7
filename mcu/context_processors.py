from django.conf import settings

from mcu.choices import Role
from mcu.notifications import notifications_visible


def desk(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    unread = notifications_visible(user).filter(read_at__isnull=True).count()
    return {
        "desk_role": user.role,
        "desk_role_label": Role(user.role).label if user.role in Role.values else "",
        "desk_unread": unread,
        # The bell asks for a fresh count this often (htmx polling).
        "desk_bell_poll": getattr(settings, "DESK_BELL_POLL_SECONDS", 60),
    }
