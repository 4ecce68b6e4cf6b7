"""The API's OpenAPI schema documents every status an endpoint can answer.

``drf-spectacular`` documents the success only. A client (and the contract test,
``tests/integration/test_api_contract.py``) must also know the refusals, so every operation
gets, unless its view already says more precisely:

- 401 (no or bad token) and 403 (the role may not) everywhere: every endpoint needs a login;
- 400 (a field or query parameter is wrong, named in the body) where the operation takes a
  body or query parameters (filters, pagination);
- 404 (missing or outside the caller's scope, the same answer for both; a page past the last)
  where the path has an id or the answer is paginated;
- 413 (body too large, ``RequestSizeLimitMiddleware``) and 415 (not JSON or a form) where a
  body is taken;
- 429 (too many requests) where the view is throttled.

The bodies are DRF's: ``{"detail": "…"}`` or ``{"<field>": ["message", …]}``.
"""

from drf_spectacular.openapi import AutoSchema

ERROR_SCHEMA = {
    "type": "object",
    "description": '`{"detail": "…"}` или `{"<поле>": ["сообщение", …]}`',
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}

DESCRIPTIONS = {
    "400": "Неверное поле или параметр: ответ называет его.",
    "401": "Нет токена или он неверен (заголовок `WWW-Authenticate: Token`).",
    "403": "Действие недоступно для роли.",
    "404": "Нет такого объекта, он вне вашей области, или страницы нет.",
    "413": "Слишком большой запрос.",
    "415": "Тело не JSON и не форма.",
    "429": "Слишком много запросов; заголовок `Retry-After` говорит, когда повторить.",
}

BODY_METHODS = {"POST", "PUT", "PATCH"}


class DeskAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["401", "403"]
        takes_body = self.method in BODY_METHODS
        has_path_id = "{" in self.path
        paginated = self._is_list_view() and getattr(self.view, "pagination_class", None)
        has_query = bool(paginated or self._get_filter_parameters() or self._has_declared_query())
        if takes_body or has_query:
            codes.append("400")
        if has_path_id or paginated:
            codes.append("404")
        if takes_body:
            codes += ["413", "415"]
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        return codes

    def _has_declared_query(self) -> bool:
        return any(p.get("in") == "query" for p in self._get_override_parameters_safe())

    def _get_override_parameters_safe(self) -> list[dict]:
        params = []
        for parameter in self.get_override_parameters():
            location = getattr(parameter, "location", None)
            if location is not None:
                params.append({"in": location})
        return params

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = {
                    "description": DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": ERROR_SCHEMA}},
                }
        return dict(sorted(responses.items()))
