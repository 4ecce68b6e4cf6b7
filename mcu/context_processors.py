from mcu.choices import Role


def desk(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "desk_role": user.role,
        "desk_role_label": Role(user.role).label if user.role in Role.values else "",
        "desk_unread": unread,
    }
