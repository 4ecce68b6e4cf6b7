"""A real Celery worker with embedded beat sweeps a real database through Redis.

What it proves that the unit tests cannot: the beat schedule names a task the worker knows
(``deadlines.sweep``), the task runs outside any test transaction, the breach is marked
and notified exactly once per recipient, a later sweep adds nothing, and the delivery task
the sweep enqueues on commit sends the e-mail.

The worker cannot see pytest-django's in-memory SQLite test database, so the test builds its
own file database in ``tmp_path`` (``manage.py migrate`` in a subprocess) and writes the
data through the desk's own services in a subprocess too. No settings file is touched.
Redis: ``REDIS_URL``, default ``redis://127.0.0.1:6379/15``; skipped if unreachable.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"

SEED = textwrap.dedent("""
    import django, sys
    django.setup()
    from datetime import timedelta
    from django.utils import timezone
    from cases.models import Case
    from deadlines.services import deadline_start
    from mcu.models import Municipality, Organisation, User

    mun, _ = Municipality.objects.get_or_create(
        slug="mzh", defaults={"name": "Междуреченск", "region": "Кузбасс",
                              "timezone": "Asia/Novokuznetsk"})
    org, _ = Organisation.objects.get_or_create(municipality=mun, name="Отдел ЖКХ")
    people = [
        ("executor", {"role": "executor", "organisation": org}),
        ("org_head", {"role": "executor", "organisation": org, "is_organisation_head": True}),
        ("administrator", {"role": "administrator"}),
        ("head", {"role": "head"}),
    ]
    for username, fields in people:
        User.objects.get_or_create(username=username, defaults={
            "municipality": mun, "email": f"{username}@example.org", **fields})
    number = sys.argv[1]
    case = Case.objects.create(municipality=mun, kind="incident", channel="vk",
                               text="Яма", organisation=org, fast_track=True,
                               registration_number=number)
    # Fast-track, 240 calendar minutes, started 5 hours ago: due an hour ago.
    clock = deadline_start(case=case, stage="answer",
                           started_at=timezone.now() - timedelta(hours=5))
    if len(sys.argv) > 2:
        from deadlines.tasks import sweep_deadlines
        sweep_deadlines.delay()
    print(clock.pk)
""")


def _redis_or_skip() -> None:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
        client.ping()
    except Exception as exc:
        pytest.skip(
            f"Redis at {REDIS_URL} is unreachable ({exc}): the integration test needs a real broker"
        )
    # Messages left by an earlier, interrupted run would be swept by this worker.
    client.delete("celery", "unacked", "unacked_index")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_", "CELERY_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "mcu.settings",
            "DJANGO_ENV": "development",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}",
            "REDIS_URL": REDIS_URL,
            "VAR_DIR": str(tmp_path / "var"),
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "TELEGRAM_BOT_TOKEN": "",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            # Beat ticks every 2 s instead of at each minute boundary (mcu/celery.py).
            "DESK_BEAT_TICK_SECONDS": "2",
        }
    )
    return env


def _query(db: Path, sql: str, *params):
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _wait(predicate, *, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n--- worker log ---\n{tail}")


def _breach_rows(db: Path, deadline_id: int):
    return _query(
        db,
        "SELECT recipient_id, email_status FROM mcu_notification WHERE key LIKE ?",
        f"deadline.breach:{deadline_id}:user:%",
    )


def test_worker_with_beat_marks_and_notifies_a_breach_once(tmp_path, sqlite_template):
    _redis_or_skip()
    env = _env(tmp_path)
    db = tmp_path / "desk.sqlite3"
    run = {
        "cwd": ROOT,
        "env": env,
        "check": True,
        "capture_output": True,
        "text": True,
        "timeout": 240,
    }
    shutil.copyfile(sqlite_template, db)  # migrated (tests/integration/conftest.py)
    first = int(subprocess.run([sys.executable, "-c", SEED, "IT-1"], **run).stdout.split()[-1])

    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mcu",
                "worker",
                "-B",
                # Every queue, as rundesk's worker (settings.CELERY_TASK_ROUTES).
                "-Q",
                "deadlines,notifications,imports,reports",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "-s",
                str(tmp_path / "celerybeat-schedule"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # Beat fires "deadlines.sweep" every 2 s here (every minute in a real desk): the
        # timeout is the worker's start-up on a busy machine.
        _wait(
            lambda: _query(
                db,
                "SELECT breached_at FROM deadlines_deadline WHERE id = ? "
                "AND breached_at IS NOT NULL",
                first,
            ),
            timeout=100,
            what="the breach to be marked by the beat sweep",
            log=log,
        )
        # executor, org_head, administrator: one each (the head of the centre only gets
        # the second escalation step).
        rows = _wait(
            lambda: (r := _breach_rows(db, first)) and len(r) >= 3 and r,
            timeout=15,
            what="three breach notifications",
            log=log,
        )
        assert sorted(r[0] for r in rows) == sorted({r[0] for r in rows})
        assert len(rows) == 3

        # The sweep enqueued the delivery on commit: the e-mails go out — at the latest with
        # beat's own delivery at its next tick.
        _wait(
            lambda: all(s == "sent" for _, s in _breach_rows(db, first)),
            timeout=60,
            what="the breach e-mails to be sent",
            log=log,
        )

        # Another sweep (queued by hand, with a second overdue clock to see it ran):
        # the first clock's notifications stay one per recipient.
        second = int(
            subprocess.run([sys.executable, "-c", SEED, "IT-2", "sweep"], **run).stdout.split()[-1]
        )
        _wait(
            lambda: len(_breach_rows(db, second)) == 3, timeout=60, what="the second sweep", log=log
        )
        after = _breach_rows(db, first)
        assert len(after) == 3
        assert {r[0] for r in after} == {r[0] for r in rows}
        [(keys, distinct)] = _query(
            db, "SELECT COUNT(*), COUNT(DISTINCT key) FROM mcu_notification"
        )
        assert keys == distinct
        assert "deadlines.sweep" in log.read_text(errors="replace")
    finally:
        try:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
