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
    }
