"""``make bench``: every ``bench/bench_*.py`` with a ``run(ctx)``, then ``bench/results.json``.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/mcu_bench  (the default)
    BENCH_PORT=8774  BENCH_REDIS_URL=redis://127.0.0.1:6379/4  (optional: Redis as cache)
    python -m bench [--only list,ingest] [--count 1000000] [--requests 30]

See ``bench/__init__.py`` for how a benchmark records its figures.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
import traceback
from pathlib import Path

import bench
from bench.context import Context

# Cheap and independent first; the ones that need the server last (memory is read at end).
ORDER = ["engine", "sweep", "list", "analytics", "ingest"]
OUT = Path(__file__).with_name("results.json")


def discover() -> list[str]:
    names = [
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    ]
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def worker_memory(ctx: Context) -> None:
    pids = ctx.worker_pids()
    if not pids:
        return
    rss = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss.append(int(line.split()[1]) / 1024)
    # The issue measured the workers under 100 MB at a million cases.
    bench.record("web.worker_rss_max", max(rss), "MB", target=100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated names (engine,list,…)")
    parser.add_argument("--count", type=int, default=1_000_000, help="generated cases")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    args = parser.parse_args()
    os.chdir(Path(__file__).resolve().parent.parent)
    ctx = Context(
        count=args.count, port=int(os.environ.get("BENCH_PORT", 8774)), requests=args.requests
    )
    ctx.var_dir.mkdir(parents=True, exist_ok=True)
    wanted = [n for n in args.only.split(",") if n]
    failed = []
    started = time.perf_counter()
    try:
        for name in discover():
            if wanted and name not in wanted:
                continue
            module = importlib.import_module(f"bench.bench_{name}")
            if not hasattr(module, "run"):
                continue
            print(f"\n=== {name}: {(module.__doc__ or '').strip().splitlines()[0]}", flush=True)
            try:
                module.run(ctx)
            except Exception:  # one broken benchmark does not hide the others' figures
                traceback.print_exc()
                failed.append(name)
        worker_memory(ctx)
    finally:
        ctx.stop()
    previous = json.loads(OUT.read_text()) if OUT.exists() and wanted else {}
    results = {**previous, **{k: f.as_json() for k, f in bench.RESULTS.items()}}
    OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    missed = [k for k, f in bench.RESULTS.items() if f.ok is False]
    print(
        f"\n{len(bench.RESULTS)} figures in {time.perf_counter() - started:.0f} s, "
        f"{len(missed)} targets missed{': ' + ', '.join(missed) if missed else ''}; "
        f"wrote {OUT.relative_to(Path.cwd())}"
    )
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
