"""The Open311 client's key: the ``api_key`` parameter of the GeoReport v2 spec, in the
query string or the form body, checked like every key of the desk (``mcu.tokens``) and
only if its scope is ``open311``."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication

from mcu.models import ApiTokenScope
from mcu.tokens import api_token_authenticate


def request_api_key(request) -> str:
    key = request.query_params.get("api_key")
    if not key and request.method == "POST":
        data = request.data
        key = data.get("api_key") if hasattr(data, "get") else None
    return key if isinstance(key, str) else ""


class Open311KeyAuthentication(BaseAuthentication):
    """No key: anonymous (the permission refuses it). A key that is unknown, expired,
    revoked, of another scope or of a deactivated account: the one generic refusal."""

    def authenticate(self, request):
        key = request_api_key(request)
        if not key:
            return None
        token = api_token_authenticate(key, scope=ApiTokenScope.OPEN311)
        return (token.user, token)

    # No ``authenticate_header``: GeoReport clients expect 403 for a bad key, not 401.


class Open311KeyScheme(OpenApiAuthenticationExtension):
    target_class = "channels.open311.authentication.Open311KeyAuthentication"
    name = "open311ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "query",
            "name": "api_key",
            "description": "Ключ клиента Open311 (назначение «Open311»); в POST можно передать "
            "полем формы.",
        }
