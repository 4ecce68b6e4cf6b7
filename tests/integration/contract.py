"""The API contract test's parts (tests/integration/test_api_contract*.py): schemathesis
run against a desk under gunicorn, and the operations the published schema lists.

Budget: ``CONTRACT_MAX_EXAMPLES`` (default 10) examples per operation and
``CONTRACT_MAX_TIME`` seconds for the three passes together (default 45) — CI's; each pass
takes its share. ``make fuzz`` runs them with a bigger budget. The two files run on two
xdist workers at once (each with its desk), the staff pass beside the channels' two.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.desk import desk_env, gunicorn, http, migrate_and_seed

MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "10"))
MAX_TIME = int(os.environ.get("CONTRACT_MAX_TIME", "45"))
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
INGEST = "^/api/v1/ingest"
# Open311 answers only a client key of its own scope (``api_key``): a pass of its own.
OPEN311 = "^/open311/"
OPERATION = r"^    (get|post|put|patch|delete):"


def _schemathesis() -> str:
    exe = Path(sys.executable).with_name("schemathesis")
    if exe.exists():
        return str(exe)
    found = shutil.which("schemathesis")
    if not found:
        pytest.skip("schemathesis is not installed (the dev extra pins it)")
    return found


def run(
    base: str,
    token: str,
    *,
    share: float,
    path_filter: list[str],
    tmp: Path,
    open311_key: str | None = None,
) -> str:
    config: list[str] = []
    auth = ["-H", f"Authorization: Token {token}"] if token else []
    if open311_key:
        toml = tmp / "schemathesis-open311.toml"
        toml.write_text(f'[auth.openapi.open311ApiKey]\napi_key = "{open311_key}"\n')
        config = ["--config-file", str(toml)]
    command = [
        _schemathesis(),
        *config,
        "run",
        f"{base}/api/schema/",
        *auth,
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(max(5, int(MAX_TIME * share))),
        "-w",
        "1",
        "--no-color",
        "--seed",
        os.environ.get("CONTRACT_SEED", "20261202"),
        *path_filter,
    ]
    done = subprocess.run(
        command,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=MAX_TIME * 3 + 60,
        check=False,
    )
    output = done.stdout + done.stderr
    (tmp / f"schemathesis-{len(list(tmp.glob('schemathesis-*.log')))}.log").write_text(output)
    if done.returncode != 0:
        pytest.fail(f"schemathesis found contract failures:\n{output[-12000:]}")
    return output


def contract_desk(tmp_path_factory, sqlite_template):
    """A seeded desk under gunicorn for one contract file: (base URL, seed data, folder)."""
    tmp = tmp_path_factory.mktemp("contract")
    env = desk_env(tmp)
    # The throttles would answer most generated requests with 429 and leave the logic
    # behind them untested; their 429 is tested in tests/channels (ingest, Open311).
    env.update(
        INGEST_THROTTLE_RATE="100000/min",
        INGEST_BATCH_THROTTLE_RATE="100000/min",
        OPEN311_THROTTLE_RATE="100000/min",
    )
    seeded = migrate_and_seed(env, sqlite_template)
    with gunicorn(env, workers=1, threads=2, log=tmp / "gunicorn.log") as base:
        yield base, seeded, tmp


def schema_operations(base: str, token: str) -> dict[str, int]:
    """How many operations the published schema lists: all, the ingest's, Open311's."""
    status, _, schema = http("GET", f"{base}/api/schema/", token=token)
    assert status == 200
    counts = {"all": 0, "ingest": 0, "open311": 0}
    path = ""
    for line in schema.decode().splitlines():
        if re.match(r"^  \S", line):
            path = line.strip().rstrip(":").strip("'\"")
        elif path and re.match(OPERATION, line):
            counts["all"] += 1
            counts["ingest"] += bool(re.match(INGEST, path))
            counts["open311"] += bool(re.match(OPEN311, path))
    return counts


def tested(output: str) -> int:
    """The operations schemathesis selected and tried (a filter that matched nothing would
    pass with none)."""
    return sum(int(n) for n in re.findall(r"Tested: (\d+)", output))
