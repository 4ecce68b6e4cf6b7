"""Benchmark of the case pages on PostgreSQL at ``--count`` generated cases (1,000,000).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mcu_bench_cases \\
        .venv/bin/python -m bench.bench_list

Generates the data set once into the named database (``generate_cases``) and reuses it
when it already holds ``--count`` generated cases. Then, through gunicorn with two
workers, times every scenario (median and p95 over ``--requests`` requests), counts the
SQL statements of each in-process (``CaptureQueriesContext``), prints one line per figure
with its target and writes ``bench/results.json``. Figures only, nothing asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mcu_bench_cases"
TARGETS = {"list": 100, "card": 50, "api": 100}


def _ensure_database(url: str) -> None:
    import psycopg

    from bench.bench_sweep import _admin_url

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as con:
        if not con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            con.execute(f'CREATE DATABASE "{name}"')


def _scenarios(head, executor, case_id, cursor) -> dict[str, tuple[str, str, str]]:
    return {
        "list_first_page": ("list", head, "/cases/"),
        **{
            f"list_queue_{q}": ("list", head, f"/cases/?queue={q}")
            for q in ("moderation", "review", "approval", "overdue", "fast_track")
        },
        "list_filtered": ("list", head, "/cases/?status=in_progress&kind=incident"),
        "list_search": (
            "list",
            head,
            "/cases/?q=%D0%BA%D0%BE%D0%BD%D1%82%D0%B5%D0%B9%D0%BD%D0%B5%D1%80",
        ),
        "list_deep_page": ("list", head, f"/cases/?after={cursor}"),
        "list_executor": ("list", executor, "/cases/"),
        "card": ("card", head, f"/cases/{case_id}/"),
        "api_list": ("api", head, "/api/v1/cases/"),
        "api_search": ("api", head, "/api/v1/cases/?q=%D1%8F%D0%BC%D1%8B"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "mcu.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    _ensure_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cases.demo.generate import SOURCE
    from cases.models import Case
    from cases.pagination import cursor_encode
    from mcu.models import User

    call_command("migrate", verbosity=0)
    have = Case.objects.filter(source=SOURCE).count()
    if have == 0:
        t = time.perf_counter()
        call_command("generate_cases", count=args.count)
        print(f"generated {args.count:,} cases in {time.perf_counter() - t:.0f} s")
    elif have != args.count:
        print(f"note: the database holds {have:,} generated cases, not {args.count:,}")
    head = User.objects.get(username="head")
    executor = User.objects.get(username="executor")
    deep = Case.objects.order_by("-received_at", "-id")[have // 2]
    case_id = Case.objects.filter(municipality=head.municipality).order_by("-id").first().pk
    scenarios = _scenarios("head", "executor", case_id, cursor_encode(deep))

    sessions = {}
    for name, user in (("head", head), ("executor", executor)):
        login = Client()
        login.force_login(user)
        sessions[name] = login.cookies[settings.SESSION_COOKIE_NAME].value

    statements = {}
    for name, (_kind, who, path) in scenarios.items():
        client = Client()
        client.force_login(head if who == "head" else executor)
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            client.get(path)
        statements[name] = len(ctx.captured_queries)

    env = {**os.environ, "DJANGO_ENV": "development"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "mcu.wsgi", "-w", "2", "-b", f"127.0.0.1:{args.port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict[str, dict] = {}
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", args.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        cookie = settings.SESSION_COOKIE_NAME
        for name, (kind, who, path) in scenarios.items():
            req = urllib.request.Request(
                f"http://127.0.0.1:{args.port}{path}",
                headers={"Cookie": f"{cookie}={sessions[who]}", "Host": "127.0.0.1"},
            )
            times = []
            for i in range(args.requests + 2):
                t = time.perf_counter()
                with urllib.request.urlopen(req) as response:
                    response.read()
                if i >= 2:  # two warm-ups: the workers' first requests, the counts cache
                    times.append((time.perf_counter() - t) * 1000)
            times.sort()
            median = statistics.median(times)
            p95 = times[max(0, round(0.95 * len(times)) - 1)]
            target = TARGETS[kind]
            results[f"{name}.p95"] = {
                "value": round(p95, 1),
                "unit": "ms",
                "target": target,
                "ok": p95 < target,
            }
            results[f"{name}.median"] = {
                "value": round(median, 1),
                "unit": "ms",
                "target": target,
                "ok": median < target,
            }
            results[f"{name}.queries"] = {
                "value": statements[name],
                "unit": "statements",
                "target": 20,
                "ok": statements[name] <= 20,
            }
            print(
                f"{name:<24} median {median:7.1f} ms  p95 {p95:7.1f} ms  (target p95 < {target} ms:"
                f" {'ok' if p95 < target else 'MISSED'})  {statements[name]} SQL statements"
            )
    finally:
        server.terminate()
        server.wait(10)
    out = Path(__file__).with_name("results.json")
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out.name}")


if __name__ == "__main__":
    main()
