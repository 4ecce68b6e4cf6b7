"""Analytics and exports read from a streaming replica when there is one.

``DATABASE_REPLICA_URL`` set: settings add the ``replica`` database and this router. A
read is sent to the replica only inside ``replica_reads()`` — the analytics pages and API,
their CSV/XLSX downloads and the weekly note mark themselves so — and only for reads:
every write, and every read outside the marker, stays on ``default``. The replica is a
copy of ``default`` (``pg_basebackup -R``), never migrated on its own; in tests it mirrors
``default``. A replica lags by the WAL not yet replayed (milliseconds on a LAN): fine for
the period figures of analytics, never for a case's card or a transition's checks.
"""

from __future__ import annotations

import contextvars
import functools
from contextlib import contextmanager

from django.db import connections

REPLICA = "replica"
_reading = contextvars.ContextVar("desk_replica_reads", default=False)


@contextmanager
def replica_reads():
    """Reads inside go to the replica (when configured); nesting is harmless."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def replica_view(view):
    """A view whose reads go to the replica (see ``replica_reads``)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            response = view(*args, **kwargs)
            # A template response renders after the view returns: render it here, inside.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    return wrapped


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
