"""``make bench``: every benchmark of the desk in turn; figures printed, nothing asserted."""

import importlib
import sys

BENCHMARKS = [
    ("bench.bench_engine", "Deadline arithmetic: computations per second against a naive one"),
    ("bench.bench_sweep", "Deadline sweep over 1,000,000 open clocks on PostgreSQL"),
    ("bench.bench_list", "Case pages over 1,000,000 generated cases on PostgreSQL, via gunicorn"),
    ("bench.bench_load", "50 staff and 50 ingested items/s for 5 minutes: errors, items lost"),
]


def main() -> int:
    for module_name, title in BENCHMARKS:
        print(f"\n=== {title} ({module_name})", flush=True)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            print(f"skipped: {exc}")
            continue
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
