"""The query plans of every list scenario: ``python -m bench.explain [--all] [name …]``.

Each page of ``bench.bench_list`` is rendered in-process (Django's test client, signed in
as the scenario's user, on ``BENCH_DATABASE_URL``) twice — the first fills the queue-count
cache, as on the server — and every statement of the second that takes more than
``--min-ms`` (default 5) is shown with ``EXPLAIN (ANALYZE, BUFFERS)``: its time, the plan's
top nodes and the indexes it uses. ``--all`` prints whole plans.
"""

from __future__ import annotations

import argparse
import re
import time

from bench.context import Context

INDEX = re.compile(r"(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?(?:using|on) (\w+)")


def print_plan(connection, sql: str, ms: float, *, whole: bool = False) -> None:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of one statement: its time, the indexes it uses and
    the plan's top nodes (``whole``: every line). ``bench.bench_analytics`` uses it too."""
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = [row[0] for row in cur.fetchall()]
    indexes = sorted({m.group(1) for line in plan for m in INDEX.finditer(line)})
    print(f"\n- {ms:.1f} ms: {sql[:220]}{' …' if len(sql) > 220 else ''}")
    print(f"  indexes: {', '.join(indexes) or 'none'}")
    shown = (
        plan
        if whole
        else [
            line
            for line in plan
            if not line.strip().startswith(("Buffers:", "Output:", "Planning:"))
        ][:14]
    )
    for line in shown:
        print("    " + line)
    print("    " + plan[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--all", action="store_true", help="whole plans")
    parser.add_argument("--min-ms", type=float, default=5.0)
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args()
    ctx = Context(count=args.count, port=0, requests=0)
    ctx.var_dir.mkdir(parents=True, exist_ok=True)
    ctx.django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.bench_list import scenarios
    from mcu.models import User

    for name, (_kind, who, path) in scenarios(ctx).items():
        if args.names and name not in args.names:
            continue
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=who))
        client.get(path)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        total = (time.perf_counter() - started) * 1000
        print(
            f"\n## {name}: {path} — HTTP {response.status_code}, {total:.0f} ms in-process, "
            f"{len(captured.captured_queries)} statements"
        )
        for query in captured.captured_queries:
            ms = float(query["time"]) * 1000
            sql = query["sql"]
            if ms < args.min_ms or not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            print_plan(connection, sql, ms, whole=args.all)


if __name__ == "__main__":
    main()
