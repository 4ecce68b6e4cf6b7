from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import timezone, translation


class MunicipalityTimezoneMiddleware:
    """Show times in the user's municipality zone; stored times stay UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.municipality_id:
            timezone.activate(user.municipality.zone)
        else:
            timezone.deactivate()
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
