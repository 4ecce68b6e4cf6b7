"""Ingest API through gunicorn: single items per second and batch items per second.

``POST /api/v1/ingest/`` with the integration account's token (``bench/auth.py``) from
``CLIENTS`` concurrent clients, and ``POST /api/v1/ingest/batch/`` with full batches of
``BATCH`` items from two clients; every item new (a run's own external ids), a VK post of
the usual size. The server's throttle is lifted for the run (``INGEST_*_THROTTLE_RATE``):
the figure is the desk's, not its limit. Targets (issue «Scale»): ≥ 300 requests/s and
≥ 5,000 items/s on this 2-core machine. ``ingest.refused_per_s`` is the same endpoint
refusing a bad body: what the stack costs before any work, the ceiling of the single
figure on this machine. The cases stay in the benchmark database (source
"bench-ingest"), apart from the generated ones.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bench import record
from bench.http import Browser

CLIENTS = 4
SINGLE = 600
BATCH = 1000
BATCHES = 6
#: per figure: what was sent within this many seconds is measured (a loaded machine)
BUDGET_S = 90
TEXT = (
    "Во дворе дома {n} по ул. Кузнецкой третий день не вывозят мусор, контейнеры "
    "переполнены, мешки лежат на газоне. Просим принять меры."
)


def item(run: str, n: int) -> dict:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5 + n % 600)
    return {
        "channel": "vk",
        "source": "bench-ingest",
        "external_id": f"{run}-{n}",
        "received_at": at.isoformat(),
        "text": TEXT.format(n=n % 97 + 1),
        "author": {"name": "Пётр Жителев", "profile_url": f"https://vk.com/id{n}"},
        "url": f"https://vk.com/wall-1_{n}",
        "address": f"ул. Кузнецкая, {n % 97 + 1}",
    }


def _post_all(
    base: str, token: str, path: str, bodies: list, clients: int, expect=(200, 201)
) -> tuple[int, float]:
    """How many bodies were posted, ``clients`` at a time, within ``BUDGET_S`` seconds,
    and the seconds it took; raises on any other status than ``expect``."""

    def worker(k: int, share: list) -> None:
        browser = Browser(base, headers={"Authorization": f"Token {token}"})
        for body in share:
            if time.perf_counter() - started > BUDGET_S:
                return  # a starved machine: the rate of what was sent is the figure
            answer = browser.post_json(path, body)
            if answer.status not in expect:
                raise RuntimeError(f"{path}: HTTP {answer.status}: {answer.text[:300]}")
            sent[k] += 1

    shares = [bodies[i::clients] for i in range(clients)]
    sent = [0] * clients
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(worker, k, share) for k, share in enumerate(shares)]:
            future.result()
    return sum(sent), time.perf_counter() - started


def run(ctx) -> None:
    token = ctx.integration_token()
    base = ctx.server()
    run_id = f"bench-{int(time.time())}"
    # Warm-up: both workers load the serializers and the routing rules.
    _post_all(base, token, "/api/v1/ingest/", [item(run_id + "w", n) for n in range(8)], 2)
    singles = [item(run_id, n) for n in range(SINGLE)]
    sent, seconds = _post_all(base, token, "/api/v1/ingest/", singles, CLIENTS)
    single = record(
        "ingest.single_per_s", sent / seconds, "req/s", target=300, higher_is_better=True
    )
    # The ceiling of the stack itself: the same endpoint, key and clients, a body refused
    # at validation (400) — authentication, throttle, parsing and the error, no writes.
    empty = [{"text": ""}] * SINGLE
    sent, seconds = _post_all(base, token, "/api/v1/ingest/", empty, CLIENTS, expect=(400,))
    ceiling = record("ingest.refused_per_s", sent / seconds, "req/s")
    print(f"  an item costs {ceiling.value / single.value:.1f}× a refused request", flush=True)
    batches = [{"items": [item(f"{run_id}-b{b}", n) for n in range(BATCH)]} for b in range(BATCHES)]
    sent, seconds = _post_all(base, token, "/api/v1/ingest/batch/", batches, 2)
    record(
        "ingest.batch_items_per_s",
        BATCH * sent / seconds,
        "items/s",
        target=5000,
        higher_is_better=True,
    )
