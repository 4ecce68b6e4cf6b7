"""Queue counts of the case list, from a per-scope cache.

Counting every queue is one aggregate over every visible case with a per-row EXISTS on
the clocks: about a second at a million cases. The counts are the same for everybody of
one scope (role, municipality, organisation, region, coordinated kinds), so they are
computed once per scope and kept for ``QUEUE_COUNTS_TTL`` seconds. A transition calls
``queue_counts_invalidate(municipality_id)``, which bumps a version that is part of the
key: the next list render of that municipality counts afresh. The TTL bounds what no
transition announces (a clock running out, the sweep).
"""

from __future__ import annotations

import time

from django.core.cache import cache

from mcu.choices import Role

QUEUE_COUNTS_TTL = 60
_VERSION = "queue-counts:v:{}"
ALL = "all"


def _version(scope: str) -> int:
    key = _VERSION.format(scope)
    version = cache.get(key)
    if version is None:
        # A time-based start: an evicted version never comes back to an old value.
        version = int(time.time() * 1000)
        cache.add(key, version, timeout=None)
        version = cache.get(key, version)
    return version


def queue_counts_invalidate(municipality_id: int | None = None) -> None:
    """Forget the counts of ``municipality_id`` (and of the region-wide scopes, which see
    it too). Call it after a transition has committed; it never fails the caller."""
    for scope in (str(municipality_id) if municipality_id else None, ALL):
        if scope is None:
            continue
        key = _VERSION.format(scope)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, int(time.time() * 1000), timeout=None)


def _scope_key(user) -> str:
    if user.is_superuser or user.role == Role.OBSERVER or not user.municipality_id:
        version = _version(ALL)
    else:
        version = _version(str(user.municipality_id))
    kinds = ",".join(sorted(user.coordinated_kinds)) if user.role == Role.ADMINISTRATOR else ""
    mine = user.pk if user.role else ""  # «Мои» by assignee, for every role
    return (
        f"queue-counts:{version}:{int(user.is_superuser)}:{user.role}:{user.municipality_id}:"
        f"{user.organisation_id}:{getattr(user, 'region', '')}:{kinds}:{mine}"
    )


def queue_counts_cached(user, compute) -> dict[str, int]:
    """The counts of the user's scope: from the cache, or ``compute()`` and kept."""
    key = _scope_key(user)
    counts = cache.get(key)
    if counts is None:
        counts = compute()
        cache.set(key, counts, timeout=QUEUE_COUNTS_TTL)
    return counts
