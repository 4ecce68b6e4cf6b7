"""A bounded load test on loopback: 50 staff working the queues and integrations ingesting
50 items/s against gunicorn + PostgreSQL + Redis + a Celery worker (issue 12, «Faults and
load»). It stops by itself after ``LOAD_SECONDS`` (default 300; ``make bench`` runs it so)
and prints, per request type, the count and p50/p95 latency, the errors (any status other
than the expected one, any time-out) and the ingested items missing from the database
afterwards. Its verdict: 0 errors and 0 items lost. A person reads for 3–10 s between
rounds (a list, an API page, a card); 25 senders keep the ingest rate open-loop.

Standalone: ``python -m bench.bench_load`` (``LOAD_SECONDS=60`` for a short run). In the
benchmark registry (``bench/__init__.py`` with ``record``), ``run(ctx)`` runs the same and
records the figures. It needs PostgreSQL (``BENCH_LOAD_DATABASE_URL``, default a database
``mcu_bench_load`` on 127.0.0.1, created and dropped) and Redis (``REDIS_URL``, default
``redis://127.0.0.1:6379/14``). Every address is on this machine.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.desk import (  # noqa: E402
    PYTHON,
    desk_env,
    gunicorn,
    migrate_and_seed,
    stop,
)

USERS = 50
INGEST_PER_SECOND = 50
INTEGRATIONS = 8  # the ingest throttle is per token (600/min): 50/s needs several
#: concurrent senders: the rate is kept open-loop (a slow answer does not slow the next
#: item), as deliveries from several integrations arrive whatever the desk's latency
SENDERS = 25
#: seconds a person spends reading a list and a card before the next round (three requests)
THINK_S = (3.0, 10.0)
QUEUES = ["", "moderation", "mine", "overdue", "review", "approval", "fast_track"]
STAFF = ["curator", "head", "administrator", "executor", "observer"]
#: every queue of the desk (``settings.CELERY_TASK_QUEUES_BY_KIND``), as rundesk's worker
WORKER_QUEUES = ("deadlines", "notifications", "imports", "reports")

EXTRA = """
import json, sys
import django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from mcu.choices import Role
from mcu.models import Municipality, User
from mcu.tokens import api_token_create
mun = Municipality.objects.get(slug="mzh")
tokens = []
for i in range(int(sys.argv[1])):
    user, _ = User.objects.get_or_create(
        username=f"integration{i}", defaults={"role": Role.INTEGRATION, "municipality": mun})
    tokens.append(api_token_create(user=user, name=f"нагрузочный тест {i}")[1])
sessions = {}
for name in sys.argv[2:]:
    user = User.objects.get(username=name)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    sessions[name] = store.session_key
print(json.dumps({"tokens": tokens, "sessions": sessions}))
"""


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.errors = defaultdict(int)
        self.samples = []

    def add(self, kind: str, seconds: float, ok: bool, detail: str = ""):
        with self.lock:
            self.times[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{kind}: {detail}")


def _request(conn_box, host, port, method, path, headers, body=None):
    """One request on the thread's keep-alive connection; a connection that failed is
    dropped (the next request opens a new one), and one closed by the server while idle
    is tried once more on a new one."""
    for attempt in (0, 1):
        conn = conn_box.get("c") or http.client.HTTPConnection(host, port, timeout=30)
        conn_box["c"] = conn
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            conn_box.pop("c", None)
            if attempt:
                raise
        except Exception:
            conn.close()
            conn_box.pop("c", None)
            raise
    raise AssertionError("unreachable")


def _timed(stats, kind, expected, box, host, port, method, path, headers, body=None):
    start = time.perf_counter()
    try:
        status, body = _request(box, host, port, method, path, headers, body)
        ok = status == expected
        detail = f"{status} {body[:200]!r}"
    except Exception as exc:  # a time-out or a refused connection is an error too
        ok, detail, body = False, repr(exc), b""
    stats.add(kind, time.perf_counter() - start, ok, detail)
    return ok, body


def _staff(stop_at, host, port, name, session, token, case_ids, stats, rng):
    box = {}
    page = {"Cookie": f"sessionid={session}"}
    api = {"Authorization": f"Token {token}"} if token else page
    while time.monotonic() < stop_at:
        queue = rng.choice(QUEUES)
        query = f"?queue={queue}" if queue else ""
        _timed(stats, "page:list", 200, box, host, port, "GET", f"/cases/{query}", page)
        api_path = f"/api/v1/cases/{query or '?'}&page_size=20"
        ok, body = _timed(stats, "api:list", 200, box, host, port, "GET", api_path, api)
        if ok:
            ids = [row["id"] for row in json.loads(body)["results"]]
            if ids:
                pk = rng.choice(ids)
                _timed(stats, "page:detail", 200, box, host, port, "GET", f"/cases/{pk}/", page)
        time.sleep(rng.uniform(*THINK_S))  # a person reads what they asked for


def _ingest(stop_at, host, port, token, per_second, prefix, sent, attempted, stats):
    box = {}
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    interval = 1.0 / per_second
    next_at = time.monotonic()
    for n in itertools.count():
        if time.monotonic() >= stop_at:
            return
        external_id = f"{prefix}-{n}"
        item = {
            "channel": "vk",
            "external_id": external_id,
            "received_at": "2026-05-08T16:30:00+07:00",
            "text": f"Не вывозят мусор во дворе, сообщение {external_id}",
            "author": {"name": "Житель Нагрузкин", "profile_url": "https://vk.com/id1"},
        }
        body = json.dumps(item).encode()
        ok, _ = _timed(
            stats, "api:ingest", 201, box, host, port, "POST", "/api/v1/ingest/", headers, body
        )
        attempted[0] += 1
        if ok:  # acknowledged: it must be in the database afterwards
            sent.append(external_id)
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def load(seconds: int | None = None, emit=print) -> dict:
    seconds = seconds or int(os.environ.get("LOAD_SECONDS", "300"))
    database_url = os.environ.get("BENCH_LOAD_DATABASE_URL") or (
        "postgres://postgres@127.0.0.1:5432/mcu_bench_load"
    )
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    psql = ["psql", admin_url, "-qc"]
    subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    subprocess.run([*psql, f'CREATE DATABASE "{name}"'], check=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = desk_env(tmp, database_url=database_url, redis_url=redis_url)
    worker = None
    try:
        seeded = migrate_and_seed(env)
        extra = json.loads(
            subprocess.run(
                [PYTHON, "-c", EXTRA, str(INTEGRATIONS), *STAFF],
                cwd=ROOT, env=env, capture_output=True, text=True, check=True,
            ).stdout.split("\n")[-2]
        )  # fmt: skip
        worker = subprocess.Popen(
            # Every queue, as rundesk's worker: the duplicate linking of each ingested
            # item (channels.*, the «imports» queue) runs beside the load, as it would.
            [PYTHON, "-m", "celery", "-A", "mcu", "worker", "--pool=solo", "--loglevel=WARNING",
             "--without-gossip", "--without-mingle", "-Q", ",".join(WORKER_QUEUES)],
            cwd=ROOT, env=env, stdout=(tmp / "worker.log").open("w"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        # The production shape (Dockerfile): three sync workers on the two cores.
        with gunicorn(env, workers=3, threads=1, log=tmp / "gunicorn.log") as base:
            host, port = base.split("//")[1].split(":")
            port = int(port)
            stats = Stats()
            stop_at = time.monotonic() + seconds
            threads = []
            sent: list[str] = []
            attempted = [0]
            rng = random.Random(20261202)
            api_tokens = seeded["tokens"]
            for i in range(USERS):
                person = STAFF[i % len(STAFF)]
                threads.append(threading.Thread(target=_staff, args=(
                    stop_at, host, port, person, extra["sessions"][person],
                    api_tokens.get(person), [], stats, random.Random(rng.random()),
                )))  # fmt: skip
            per_sender = INGEST_PER_SECOND / SENDERS
            for i in range(SENDERS):
                token = extra["tokens"][i % len(extra["tokens"])]
                threads.append(threading.Thread(target=_ingest, args=(
                    stop_at, host, port, token, per_sender, f"load-{i}", sent, attempted, stats,
                )))  # fmt: skip
            started = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=seconds + 120)
            elapsed = time.monotonic() - started
        check = subprocess.run(
            [PYTHON, "-c", "import django, json, sys; django.setup()\n"
             "from cases.models import Case\n"
             "print(json.dumps(list(Case.objects.filter(source__startswith='integration')"
             ".values_list('external_id', flat=True))))"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        stored = set(json.loads(check.stdout.strip().splitlines()[-1]))
        lost = [e for e in sent if e not in stored]
        figures = {"seconds": round(elapsed, 1), "items_sent": attempted[0],
                   "items_acknowledged": len(sent),
                   "items_lost": len(lost), "errors": sum(stats.errors.values()),
                   "ingest_per_s": round(attempted[0] / elapsed, 1), "by_kind": {}}  # fmt: skip
        emit(f"{'request':<14}{'count':>8}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}")
        for kind in sorted(stats.times):
            values = stats.times[kind]
            p50 = statistics.median(values) * 1000
            p95 = _percentile(values, 0.95) * 1000
            figures["by_kind"][kind] = {
                "count": len(values),
                "errors": stats.errors[kind],
                "p50_ms": round(p50, 1),
                "p95_ms": round(p95, 1),
            }
            emit(f"{kind:<14}{len(values):>8}{stats.errors[kind]:>8}{p50:>10.1f}{p95:>10.1f}")
        emit(f"{elapsed:.0f} s; items sent {attempted[0]} ({figures['ingest_per_s']}/s), "
             f"acknowledged {len(sent)}; errors {figures['errors']}; "
             f"acknowledged items lost {len(lost)}")  # fmt: skip
        for sample in stats.samples:
            emit(f"  error: {sample}")
        return figures
    finally:
        if worker is not None:
            stop(worker)
        subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{name}"'], check=False)


def run(ctx=None):
    """The registry's entry (``bench/__init__.py``): the same run, its figures recorded."""
    from bench import record

    figures = load()
    record("load.errors", figures["errors"], "", target=0)
    record("load.items_lost", figures["items_lost"], "", target=0)
    record("load.ingest_per_s", figures["ingest_per_s"], "1/s", target=INGEST_PER_SECOND * 0.95,
           higher_is_better=True)  # fmt: skip
    for kind, f in figures["by_kind"].items():
        record(f"load.{kind}.p95", f["p95_ms"], "ms")


def main() -> int:
    figures = load()
    return 0 if figures["errors"] == 0 and figures["items_lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
