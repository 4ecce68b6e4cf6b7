"""The figures of a run as a Markdown table: ``python -m bench.report [results.json]``.

``docs/performance.md`` carries the table of the committed run
(``docs/bench-results.json``) as this prints it, so the figures there come from a run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent / "results.json"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def table(results: dict) -> str:
    lines = ["| figure | value | target | met |", "|---|---:|---:|---|"]
    for name, figure in results.items():
        value = f"{_number(figure['value'])} {figure['unit']}".strip()
        target = "" if figure["target"] is None else _number(figure["target"])
        met = {True: "yes", False: "**no**", None: ""}[figure["ok"]]
        lines.append(f"| `{name}` | {value} | {target} | {met} |")
    return "\n".join(lines)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    print(table(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
