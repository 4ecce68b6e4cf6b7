"""Benchmark of the deadline engine against the naive minute-by-minute reference.

Run from the repository root (no Django needed)::

    .venv/bin/python -m bench.bench_engine [--n 200000] [--naive-n 300] [--zone Europe/Moscow]

Prints computations per second on one core for every unit (random starts over 2026,
amounts 1–480 for minutes and 1–30 for days), the same for the naive reference, the ratio,
and whether the target of 100,000 working-minute computations per second is met. Figures
only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time as clock
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from deadlines.engine import BusinessCalendar, Unit, compute_due, working_seconds_between

TARGET_PER_SECOND = 100_000
AMOUNTS: dict[Unit, tuple[int, int]] = {
    Unit.WORKING_MINUTES: (1, 480),
    Unit.CALENDAR_MINUTES: (1, 480),
    Unit.WORKING_DAYS: (1, 30),
    Unit.CALENDAR_DAYS: (1, 30),
}


def _pin_to_one_core() -> str:
    """Pin the process to one CPU where the OS allows it (Linux)."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def _random_starts(rng: random.Random, zone: ZoneInfo, n: int) -> list[datetime]:
    """Aware starts uniformly over 2026 (local time), with seconds and microseconds."""
    first = datetime(2026, 1, 1, tzinfo=zone)
    span_us = 365 * 86_400 * 1_000_000
    return [first + timedelta(microseconds=rng.randrange(span_us)) for _ in range(n)]


def _rate(fn: Callable[[datetime, int], object], cases: Sequence[tuple[datetime, int]]) -> float:
    """Calls per second of ``fn`` over ``cases`` (best of three runs for short loops)."""
    best = float("inf")
    repeats = 3 if len(cases) <= 100_000 else 1
    for _ in range(repeats):
        started = clock.perf_counter()
        for start, amount in cases:
            fn(start, amount)
        best = min(best, clock.perf_counter() - started)
    return len(cases) / best


def measure(*, n: int, naive_n: int, zone_name: str, seed: int, out=print) -> dict[str, float]:
    """Calls per second of the engine and of the naive reference for every unit, printed
    as a table; the figures by name."""
    # Imported here so that the module can be imported without the tests package.
    from tests.deadlines.naive_reference import NaiveCalendar

    zone = ZoneInfo(zone_name)
    rng = random.Random(seed)
    started = clock.perf_counter()
    calendar = BusinessCalendar(zone)
    build_ms = (clock.perf_counter() - started) * 1000
    naive = NaiveCalendar(zone_name)
    out(
        f"zone {zone_name}; random starts over 2026; calendar covers {calendar.covered_years};"
        f" precompute {build_ms:.1f} ms"
    )
    header = (
        f"{'unit':<18} {'amounts':>8} {'engine/s':>12} {'µs/call':>8} "
        f"{'naive/s':>10} {'µs/call':>9} {'ratio':>8} {'agree':>7}"
    )
    out(header)
    out("-" * len(header))
    figures: dict[str, float] = {}
    for unit, (low, high) in AMOUNTS.items():
        starts = _random_starts(rng, zone, n)
        cases = [(s, rng.randint(low, high)) for s in starts]
        engine_rate = _rate(lambda s, a, u=unit: compute_due(s, a, u, calendar), cases)
        naive_cases = cases[:naive_n]
        naive_rate = _rate(lambda s, a, u=unit: naive.due(s, a, u), naive_cases)
        agree = all(
            compute_due(s, a, unit, calendar) == naive.due(s, a, unit) for s, a in naive_cases
        )
        figures[f"{unit.value}_per_s"] = engine_rate
        figures[f"{unit.value}_ratio"] = engine_rate / naive_rate
        figures[f"{unit.value}_agree"] = agree
        out(
            f"{unit.value:<18} {f'{low}–{high}':>8} {engine_rate:>12,.0f} "
            f"{1e6 / engine_rate:>8.2f} {naive_rate:>10,.0f} {1e6 / naive_rate:>9.1f} "
            f"{engine_rate / naive_rate:>7,.0f}× {'yes' if agree else 'NO':>7}"
        )
    # «осталось 2 ч 15 мин»: the other hot query of the desk (deadline lists).
    starts = _random_starts(rng, zone, n)
    pairs = [(s, s + timedelta(minutes=rng.randint(0, 4320))) for s in starts]
    between_rate = _rate(lambda a, b: working_seconds_between(a, b, calendar), pairs)
    figures["seconds_between_per_s"] = between_rate
    out(f"{'seconds_between':<18} {'0–3 d':>8} {between_rate:>12,.0f} {1e6 / between_rate:>8.2f}")
    return figures


def run(ctx) -> None:
    """``make bench``: the figures recorded, on one core (the affinity is put back)."""
    from bench import record

    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    _pin_to_one_core()
    try:
        figures = measure(n=100_000, naive_n=200, zone_name="Asia/Novokuznetsk", seed=20260501)
    finally:
        if affinity is not None:
            os.sched_setaffinity(0, affinity)
    for unit in AMOUNTS:
        target = TARGET_PER_SECOND if unit is Unit.WORKING_MINUTES else None
        record(
            f"engine.{unit.value}_per_s",
            figures[f"{unit.value}_per_s"],
            "1/s",
            target=target,
            higher_is_better=True,
        )
        record(
            f"engine.{unit.value}_ratio_to_naive",
            figures[f"{unit.value}_ratio"],
            "×",
            target=1,
            higher_is_better=True,
        )
        if not figures[f"{unit.value}_agree"]:
            raise RuntimeError(f"the engine and the naive reference disagree on {unit.value}")
    record("engine.seconds_between_per_s", figures["seconds_between_per_s"], "1/s")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="engine calls per unit")
    parser.add_argument("--naive-n", type=int, default=300, help="naive reference calls per unit")
    parser.add_argument("--zone", default="Asia/Novokuznetsk")
    parser.add_argument("--seed", type=int, default=20260501)
    args = parser.parse_args(argv)
    pinning = _pin_to_one_core()
    print(f"Deadline engine benchmark — Python {platform.python_version()}, {pinning}")
    figures = measure(n=args.n, naive_n=args.naive_n, zone_name=args.zone, seed=args.seed)
    rate = figures["working_minutes_per_s"]
    verdict = "met" if rate >= TARGET_PER_SECOND else "not met"
    print(f"\ntarget ≥ {TARGET_PER_SECOND}/s working_minutes: {verdict} ({rate:,.0f}/s)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
