from django.utils import timezone


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
