from django.conf import settings
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import timezone, translation

from .timefmt import activate_user_zone


class MunicipalityTimezoneMiddleware:
    """Show times in the user's municipality zone; stored times stay UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        activate_user_zone(getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class DeskLocaleMiddleware(LocaleMiddleware):
    """Russian unless the user chose English with the switcher (the language cookie).

    The browser's Accept-Language is not asked: the desk is a Russian office tool, and a
    clerk whose browser happens to be English should still see the regulations' terms.
    """

    def process_request(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()


class PrivateResponseMiddleware:
    """Pages and API answers of a signed-in user carry residents' personal data: never
    kept by a shared cache or the browser's disk (``Cache-Control: private, no-store``).
    And one Permissions-Policy for every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            response["Cache-Control"] = "private, no-store"
        if getattr(settings, "PERMISSIONS_POLICY", ""):
            response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class RequestSizeLimitMiddleware:
    """Refuse a body larger than its endpoint can need (413) before reading it: Django
    checks the size of an upload only after it has taken in the whole file, and a JSON
    body is parsed whole (a 22 MB body grew a worker by 550 MB).

    The limit: the view's ``max_body_bytes`` (a function view's attribute or a DRF view
    class's), else ``MAX_REQUEST_BYTES`` for multipart forms (photos of an answer), else
    ``MAX_BODY_BYTES`` (JSON and plain forms). Checked in ``process_view``, so it is the
    view's own limit, and before any role check or parsing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The absolute ceiling, before the URL is even resolved.
        if _length(request) > settings.MAX_REQUEST_BYTES:
            return _too_large(settings.MAX_REQUEST_BYTES)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None)
        if getattr(view_class, "checks_body_size", False):
            # The view refuses an oversize body itself, before reading it, with a 400
            # naming the field (the ingest API's contract).
            return None
        limit = getattr(view_func, "max_body_bytes", None) or getattr(
            view_class, "max_body_bytes", None
        )
        if limit is None:
            multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
            limit = settings.MAX_REQUEST_BYTES if multipart else settings.MAX_BODY_BYTES
        if _length(request) > limit:
            return _too_large(limit)
        return None


def _length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _too_large(limit: int) -> HttpResponse:
    megabytes = max(1, limit // (1024 * 1024))
    return HttpResponse(
        translation.gettext("Слишком большой запрос: не больше %(mb)s МБ.") % {"mb": megabytes},
        status=413,
        content_type="text/plain; charset=utf-8",
    )


class QueryCountHeaderMiddleware:
    """``X-DB-Queries``: how many SQL statements the request ran (``bench/``). Installed
    only with ``DESK_BENCH_QUERY_COUNT=1`` (settings), so the count works without DEBUG
    and costs nothing on a real desk."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.db import connections

        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        wrapped = list(connections.all(initialized_only=False))
        for connection in wrapped:
            connection.execute_wrappers.append(counter)
        try:
            response = self.get_response(request)
        finally:
            for connection in wrapped:
                connection.execute_wrappers.remove(counter)
        response["X-DB-Queries"] = str(count)
        return response
