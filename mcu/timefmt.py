"""Dates as the regulations' users read them: «22.11.2026 14:05 (МСК+4)»."""

import zoneinfo
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")


def zone_label(tz: zoneinfo.ZoneInfo, at: datetime) -> str:
    """The zone named against Moscow time, as Russian offices do: МСК, МСК+4, МСК−1."""
    offset = at.astimezone(tz).utcoffset() - at.astimezone(MOSCOW).utcoffset()
    hours = offset / timedelta(hours=1)
    if hours == 0:
        return _("МСК")
    sign = "+" if hours > 0 else "−"
    value = abs(hours)
    text = f"{int(value)}" if value == int(value) else f"{value:g}".replace(".", ",")
    return _("МСК") + sign + text


def format_local(at: datetime | None, tz: zoneinfo.ZoneInfo, *, with_zone: bool = True) -> str:
    if at is None:
        return "—"
    local = at.astimezone(tz)
    text = local.strftime("%d.%m.%Y %H:%M")
    return f"{text} ({zone_label(tz, at)})" if with_zone else text


def format_duration(seconds: int) -> str:
    """«2 ч 15 мин», «3 дн. 4 ч», «45 мин» (absolute value; the caller says the sign)."""
    seconds = abs(int(seconds))
    minutes = seconds // 60
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    if days:
        if hours:
            return _("%(days)s дн. %(hours)s ч") % {"days": days, "hours": hours}
        return _("%(days)s дн.") % {"days": days}
    if hours:
        if mins:
            return _("%(hours)s ч %(minutes)s мин") % {"hours": hours, "minutes": mins}
        return _("%(hours)s ч") % {"hours": hours}
    return _("%(minutes)s мин") % {"minutes": mins}


def user_zone(user) -> zoneinfo.ZoneInfo | None:
    """The zone a user works in: their municipality's; None without one (observers, the
    anonymous) — then the default zone applies."""
    if user is None or not user.is_authenticated or not user.municipality_id:
        return None
    return user.municipality.zone


def activate_user_zone(user) -> None:
    """Show and read times in the user's zone from here on (UTC stays in the database)."""
    zone = user_zone(user)
    if zone is None:
        timezone.deactivate()
    else:
        timezone.activate(zone)
