"""Pagination of the case list at a million rows.

* ``CappedPaginator`` counts at most ``COUNT_CAP + 1`` rows (``SELECT count(*) FROM
  (… LIMIT 10001)``): the page says «более 10 000» instead of counting every match.
* Keyset pages (``?after=<cursor>``) on ``(received_at, id)``, the default order of the
  list: a deep page costs what the first one does, where ``OFFSET 500000`` reads and
  throws away half a million rows. Page numbers stay for the shallow pages.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 10_000
#: page numbers are offered up to here; further on the list goes by cursor
MAX_NUMBERED_PAGE = 20


class CappedPaginator(Paginator):
    """A paginator whose ``count`` stops at ``COUNT_CAP + 1`` (``capped`` then says so)."""

    @cached_property
    def count(self) -> int:
        # The order does not change a count: without it the capped subquery reads the
        # first matches of an index instead of sorting every match (by deadline: 1 s).
        return self.object_list.order_by()[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


def cursor_encode(case) -> str:
    micros = int(case.received_at.timestamp() * 1_000_000)
    return f"{micros}.{case.pk}"


def cursor_decode(value: str | None) -> tuple[datetime, int] | None:
    """``"<µs since epoch>.<id>"`` → (received_at, id); None when absent or malformed."""
    if not value:
        return None
    try:
        micros, pk = value.split(".", 1)
        moment = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
        return moment.replace(microsecond=int(micros) % 1_000_000), int(pk)
    except (ValueError, OverflowError, OSError):
        return None


def keyset_after(qs: QuerySet, cursor: tuple[datetime, int]) -> QuerySet:
    """The rows after ``cursor`` in the order ``-received_at, -id``."""
    moment, pk = cursor
    # The redundant ``received_at <= moment`` is what an index on (…, received_at, id) can
    # start its scan from; the OR alone is only a filter over every newer row.
    return qs.filter(
        Q(received_at__lte=moment), Q(received_at__lt=moment) | Q(received_at=moment, pk__lt=pk)
    ).order_by("-received_at", "-id")


class KeysetPage(list):
    """One page after a cursor: the rows, and whether more follow (one extra row read)."""

    def __init__(self, rows: list, page_size: int):
        super().__init__(rows[:page_size])
        self.has_more = len(rows) > page_size
        self.next_cursor = cursor_encode(self[-1]) if self.has_more and self else ""
