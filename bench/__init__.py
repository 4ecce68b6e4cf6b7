"""The desk's benchmarks: ``make bench`` (``python -m bench``).

Every module ``bench/bench_<name>.py`` with a ``run(ctx)`` function is one benchmark;
``bench.__main__`` finds them, runs them in ``ORDER`` (then the rest by name) and writes
every figure recorded to ``bench/results.json``::

    {"<name>": {"value": 12.3, "unit": "ms", "target": 100, "ok": true}, …}

A benchmark records its figures with ``record`` and prints nothing else it must: one line
per figure, with its target, is printed by ``record``. A new one needs no registration::

    # bench/bench_routing.py
    from bench import record

    def run(ctx):
        ctx.django()                      # Django set up on the benchmark database
        ...
        record("routing.rules_per_s", rate, "1/s", target=10_000, higher_is_better=True)

``ctx`` (``bench.context.Context``) gives what the benchmarks share, each made once:
``ctx.django()`` (settings and the migrated PostgreSQL database of ``BENCH_DATABASE_URL``),
``ctx.dataset()`` (the generated 1,000,000 cases, made on the first run and reused),
``ctx.server()`` (gunicorn with two workers and production settings, stopped at the end),
``ctx.session(username)`` (a signed-in browser session), ``ctx.integration_token()``
(``bench/auth.py``). ``python -m bench --only list,ingest`` runs some of them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RESULTS", "Figure", "record"]


@dataclass
class Figure:
    value: float
    unit: str
    target: float | None
    higher_is_better: bool

    @property
    def ok(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def as_json(self) -> dict:
        return {"value": self.value, "unit": self.unit, "target": self.target, "ok": self.ok}


#: Everything recorded in this run, by name, in the order recorded.
RESULTS: dict[str, Figure] = {}


def record(
    name: str,
    value: float,
    unit: str,
    target: float | None = None,
    higher_is_better: bool = False,
) -> Figure:
    """Keep one figure and print it with its target: ``value <= target`` is met unless
    ``higher_is_better`` (then ``value >= target``); no target, no verdict."""
    value = round(value, 1) if isinstance(value, float) else value
    figure = Figure(value, unit, target, higher_is_better)
    RESULTS[name] = figure
    if target is None:
        verdict = ""
    else:
        sign = "≥" if higher_is_better else "≤"
        verdict = f"  target {sign} {target:,} {unit}: {'ok' if figure.ok else 'MISSED'}"
    print(f"  {name:<40} {value:>12,} {unit}{verdict}", flush=True)
    return figure
