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
    """Refuse a body larger than any form of the desk can need (413) before reading it:
    Django checks the size of an upload only after it has taken in the whole file."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            return HttpResponse(
                translation.gettext("Слишком большой запрос: файлы не больше %(mb)s МБ.")
                % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
