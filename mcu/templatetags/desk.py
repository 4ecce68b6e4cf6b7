from django import template
from django.utils import timezone

from mcu.timefmt import format_duration, format_local

register = template.Library()


@register.filter
def local(value, municipality=None):
    """``{{ case.received_at|local:case.municipality }}`` → «22.11.2026 14:05 (МСК+4)»."""
    tz = municipality.zone if municipality is not None else timezone.get_current_timezone()
    return format_local(value, tz)


@register.filter
def duration(seconds):
    return format_duration(seconds or 0)


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (sorting, pages)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.filter
def checked_labels(bound_field) -> str:
    """The labels of a multiple-choice filter's ticked values: «Новое, Назначено»."""
    chosen = {str(v) for v in (bound_field.value() or [])}
    return ", ".join(
        str(label) for value, label in bound_field.field.choices if str(value) in chosen
    )
