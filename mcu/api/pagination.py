from rest_framework.pagination import CursorPagination, PageNumberPagination

from cases.pagination import CappedPaginator


class DeskCursorPagination(CursorPagination):
    """Keyset pages on ``(received_at, id)``, newest first: ``next`` and ``previous``
    carry an opaque cursor; no count, and a deep page costs what the first one does."""

    ordering = ("-received_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class DeskPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``results``; ``page_size`` up to 500.

    ``count`` stops at 10,001 (``CappedPaginator``: «more than 10,000»), so a page of a
    million matches does not count them all.

    With ``?cursor=`` (empty for the first page) a list of cases goes by cursor instead
    (``DeskCursorPagination``): the way to walk a million rows."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = CappedPaginator
    cursor_class = DeskCursorPagination

    def _cursor(self, request, queryset):
        if "cursor" not in request.query_params:
            return None
        model = getattr(queryset, "model", None)
        if model is None or not hasattr(model, "received_at"):
            return None
        return self.cursor_class()

    def paginate_queryset(self, queryset, request, view=None):
        self._by_cursor = self._cursor(request, queryset)
        if self._by_cursor is not None:
            return self._by_cursor.paginate_queryset(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if getattr(self, "_by_cursor", None) is not None:
            return self._by_cursor.get_paginated_response(data)
        return super().get_paginated_response(data)

    def get_paginated_response_schema(self, schema):
        return super().get_paginated_response_schema(schema)
