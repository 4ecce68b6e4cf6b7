"""A task only the fault tests load (``celery worker -I tests.integration.fault_tasks``):
slow on its first delivery, so a test can kill the worker process running it, and
idempotent — a second delivery finishes the same work once."""

import os
import time
from pathlib import Path

from mcu.celery import app


@app.task(name="tests.slow_marker", ignore_result=True)
def slow_marker(folder: str, seconds: float) -> None:
    here = Path(folder)
    with (here / "starts").open("a") as out:
        out.write(f"{os.getpid()}\n")
    if len((here / "starts").read_text().split()) == 1:
        time.sleep(seconds)  # the first delivery: long enough to be killed in the middle
    done = here / "done"
    if not done.exists():
        done.write_text("1")
