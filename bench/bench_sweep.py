"""Benchmark of the deadline sweep on PostgreSQL at a million open clocks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mcu_bench_sweep \\
        .venv/bin/python -m bench.bench_sweep

Creates the database named in DATABASE_URL (dropping it first if it exists — never point it
at a database you care about), migrates it, inserts ``--open`` open clocks (default
1,000,000; ``--due-share`` of them, 0.1 %, already due) plus ``--closed`` met ones (history
the partial index must skip), then prints:

* ``EXPLAIN (ANALYZE, BUFFERS)`` of the sweep's breach UPDATE (rolled back), which should
  show an index scan on ``deadline_due_open``;
* the time of that UPDATE alone (target < 1 s), of a full sweep (breaches, warnings,
  escalations and their notifications) and of an idle sweep with nothing due.

Figures only, no asserts. The database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mcu_bench_sweep"


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or parts.scheme not in ("postgres", "postgresql"):
        sys.exit(f"DATABASE_URL must be a PostgreSQL URL with a database name, got {url!r}")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    return admin, name


def recreate_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _case_insert_sql(municipality_id: int, organisation_id: int, n: int) -> str:
    """INSERT of ``n`` cases by generate_series; every NOT NULL column gets a value, so
    fields added to Case later do not break the benchmark."""
    from django.db import models

    from cases.models import Case

    fixed = {
        "municipality_id": str(municipality_id),
        "organisation_id": str(organisation_id),
        "kind": "'incident'",
        "channel": "'vk'",
        "status": "'in_progress'",
        "source": "'bench'",
        "external_id": "'bench-' || g",
        "registration_number": "'B-' || g",
        "text": "'Яма на дороге ' || g",
        "received_at": "now() - interval '1 day'",
    }
    columns, values = [], []
    for field in Case._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in fixed:
            values.append(fixed[field.column])
        elif field.null:
            values.append("NULL")
        elif isinstance(field, models.BooleanField):
            values.append("false")
        elif isinstance(field, models.DateTimeField):
            values.append("now()")
        elif isinstance(field, models.DateField):
            values.append("current_date")
        elif isinstance(field, models.JSONField):
            values.append("'{}'::jsonb" if not isinstance(field.default, list) else "'[]'::jsonb")
        elif isinstance(field, models.IntegerField | models.DecimalField | models.FloatField):
            values.append("0")
        else:
            values.append("''")
    table = Case._meta.db_table
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM generate_series(1, {n}) AS g"
    )


def populate(*, open_count: int, closed_count: int, due_share: float) -> dict:
    from django.db import connection

    from deadlines.models import DeadlinePolicy
    from mcu.models import Municipality, Organisation, User

    mun = Municipality.objects.create(
        name="Междуреченск", slug="mzh", region="Кузбасс", timezone="Asia/Novokuznetsk"
    )
    org = Organisation.objects.create(municipality=mun, name="Отдел ЖКХ")
    User.objects.create(
        username="executor",
        role="executor",
        municipality=mun,
        organisation=org,
        email="executor@example.org",
    )
    User.objects.create(
        username="org_head",
        role="executor",
        municipality=mun,
        organisation=org,
        is_organisation_head=True,
    )
    User.objects.create(username="administrator", role="administrator", municipality=mun)
    policy = DeadlinePolicy.objects.get(code="incident.answer")

    stages = ["first_reply", "answer", "reassign_window", "promise", "forward"]
    cases = -(-open_count // len(stages))
    every = max(1, round(1 / due_share)) if due_share else 0
    timings = {}
    with connection.cursor() as cur:
        t = time.perf_counter()
        cur.execute(_case_insert_sql(mun.pk, org.pk, cases))
        cur.execute("SELECT min(id) FROM cases_case")
        first_case = cur.fetchone()[0]
        timings["cases"] = time.perf_counter() - t

        # One open clock per (case, stage): the partial unique constraint allows no more.
        # Every ``every``-th clock is already due (an hour to a day ago); the others are due
        # between an hour and thirty days ahead, warned three quarters of the way.
        due_expr = (
            f"CASE WHEN g % {every} = 0 THEN now() - (interval '1 minute' * (60 + g % 1380)) "
            "ELSE now() + (interval '1 minute' * (60 + g % 43140)) END"
            if every
            else "now() + (interval '1 minute' * (60 + g % 43140))"
        )
        stage_array = "ARRAY[" + ", ".join(f"'{s}'" for s in stages) + "]"
        t = time.perf_counter()
        cur.execute(f"""
            INSERT INTO deadlines_deadline
                (case_id, stage, policy_id, started_at, due_at, warn_at, escalation_level,
                 escalate_1_at, escalate_2_at, created_at, extension_days)
            SELECT {first_case} + (g - 1) / {len(stages)},
                   ({stage_array})[1 + (g - 1) % {len(stages)}],
                   {policy.pk}, now() - interval '2 days', d.due,
                   d.due - interval '2 hours', 0, d.due + interval '1 hour',
                   d.due + interval '3 hours', now(), 0
            FROM generate_series(1, {open_count}) AS g,
                 LATERAL (SELECT {due_expr} AS due) AS d
        """)
        timings["open clocks"] = time.perf_counter() - t
        t = time.perf_counter()
        cur.execute(f"""
            INSERT INTO deadlines_deadline
                (case_id, stage, policy_id, started_at, due_at, warn_at, warned_at, met_at,
                 escalation_level, created_at, extension_days)
            SELECT {first_case} + (g - 1) % {cases}, 'answer', {policy.pk},
                   now() - interval '60 days', now() - interval '59 days',
                   now() - interval '59 days 2 hours', now() - interval '59 days 2 hours',
                   now() - interval '59 days 1 hour', 0, now(), 0
            FROM generate_series(1, {closed_count}) AS g
        """)
        timings["met clocks"] = time.perf_counter() - t
        t = time.perf_counter()
        cur.execute("VACUUM ANALYZE deadlines_deadline")
        cur.execute("VACUUM ANALYZE cases_case")
        timings["vacuum analyze"] = time.perf_counter() - t
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=1_000_000, dest="open_count")
    parser.add_argument("--closed", type=int, default=1_000_000, dest="closed_count")
    parser.add_argument("--due-share", type=float, default=0.001)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", help="write the figures (ms) to this file")
    args = parser.parse_args()
    figures: dict[str, float] = {}

    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "mcu.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from deadlines.services import deadlines_sweep
    from deadlines.sweep import _STEPS, _mark, mark_statements
    from mcu.models import Notification

    try:
        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrate: {time.perf_counter() - t:.1f} s")
        timings = populate(
            open_count=args.open_count, closed_count=args.closed_count, due_share=args.due_share
        )
        for what, seconds in timings.items():
            print(f"insert {what}: {seconds:.1f} s")
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FILTER (WHERE met_at IS NULL), "
                "count(*) FILTER (WHERE met_at IS NULL AND due_at <= now()), count(*) "
                "FROM deadlines_deadline"
            )
            open_, due, total = cur.fetchone()
            cur.execute(
                "SELECT pg_size_pretty(pg_relation_size('deadline_due_open')), "
                "pg_size_pretty(pg_relation_size('deadlines_deadline'))"
            )
            index_size, table_size = cur.fetchone()
        print(
            f"rows: {total:,} clocks, {open_:,} open, {due:,} due now; "
            f"table {table_size}, partial index deadline_due_open {index_size}"
        )

        now = timezone.now()
        _, set_clause, condition, order = _STEPS[0]  # the breach step
        pick, mark = mark_statements(set_clause, condition, order)
        params = {"now": now, "limit": 1000}
        print("\nEXPLAIN (ANALYZE, BUFFERS) of the breach step, rolled back:")
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + pick, params)
            print("  pick:")
            for (line,) in cur.fetchall():
                print("   ", line if len(line) < 200 else line[:200] + " …")
            cur.execute(pick, params)
            ids = [row[0] for row in cur.fetchall()]
            cur.execute(
                "EXPLAIN (ANALYZE, BUFFERS) "
                + mark.replace("__IDS__", "%(ids)s").replace(
                    "id IN (%(ids)s)", "id = ANY(%(ids)s)"
                ),
                {**params, "ids": ids},
            )
            print("  mark:")
            for (line,) in cur.fetchall():
                print("   ", line if len(line) < 200 else line[:200] + " …")
            transaction.set_rollback(True)

        with transaction.atomic():
            t = time.perf_counter()
            marked = _mark(set_clause, condition, order, now, 1000)
            elapsed = time.perf_counter() - t
            transaction.set_rollback(True)
        figures["breach_step_ms"] = elapsed * 1000
        figures["open_clocks"] = open_
        print(
            f"\nbreach step alone (pick + UPDATE): {len(marked):,} clocks marked in "
            f"{elapsed * 1000:.1f} ms (rolled back)"
        )

        t = time.perf_counter()
        result = deadlines_sweep(now=now)
        elapsed = time.perf_counter() - t
        figures["full_sweep_ms"] = elapsed * 1000
        print(
            f"full sweep: {result} in {elapsed * 1000:.1f} ms "
            f"({Notification.objects.count():,} notification rows)"
        )
        t = time.perf_counter()
        result = deadlines_sweep(now=now)
        figures["idle_sweep_ms"] = (time.perf_counter() - t) * 1000
        print(f"idle sweep (nothing new): {result} in {figures['idle_sweep_ms']:.1f} ms")
        if args.json:
            Path(args.json).write_text(json.dumps(figures))
    finally:
        if args.keep:
            print(f"kept {url}")
        else:
            drop_database(url)


def run(ctx) -> None:
    """``make bench``: in a child process on its own database (``<benchmark db>_sweep``,
    made and dropped here), so the generated cases are not touched."""

    out = ctx.var_dir / "sweep.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": ctx.database_url.rstrip("/") + "_sweep"}
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "-m", "bench.bench_sweep", "--json", str(out)], env=env, check=True
    )
    record_figures(json.loads(out.read_text()))


def record_figures(figures: dict) -> None:
    from bench import record

    record("sweep.open_clocks", figures["open_clocks"], "clocks")
    record("sweep.breach_step", figures["breach_step_ms"], "ms", target=1000)
    record("sweep.full", figures["full_sweep_ms"], "ms", target=60_000)
    record("sweep.idle", figures["idle_sweep_ms"], "ms", target=1000)


if __name__ == "__main__":
    main()
