"""Nothing is lost when a service fails (issue 12, «Faults and load»). Each test starts
what it needs in its own folder and skips cleanly when a service is missing:

- Redis down during an ingest: the item is stored, its clock started, its notices kept as
  outbox rows; the delivery runs once the broker is back.
- Redis down during a calendar edit: the edit commits and answers success; the recompute
  waits as a ``RecomputeRequest`` row and ``deadlines.recompute_pending`` runs it later.
- A Celery worker process killed mid-task: the task is delivered again
  (``task_acks_late`` + ``task_reject_on_worker_lost``) and finishes once.
- PostgreSQL restarted under the desk: requests meanwhile get a clean 503 (a Russian page,
  JSON for the API), and the desk serves again when it is back, without a restart
  (``CONN_HEALTH_CHECKS``). A PostgreSQL cluster of the test's own (``initdb`` in
  ``tmp_path``), never the shared server.
- Two beat processes sweeping at once: every notice exists once (its unique key).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import textwrap
import uuid
from pathlib import Path

import pytest

from tests.integration.desk import (
    PYTHON,
    ROOT,
    closed_port,
    desk_env,
    free_port,
    gunicorn,
    http,
    migrate_and_seed,
    stop,
    wait_until,
)

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _redis_or_skip():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")


def _python(env: dict, code: str, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [PYTHON, "-c", "import django; django.setup()\n" + textwrap.dedent(code), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise AssertionError(done.stderr[-4000:])
    return done.stdout


def _rows(db: Path, sql: str, *params):
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, sqlite_template):
    """A migrated, seeded SQLite desk, copied by each test that changes it."""
    tmp = tmp_path_factory.mktemp("faults")
    env = desk_env(tmp)
    data = migrate_and_seed(env, sqlite_template)
    return tmp / "desk.sqlite3", data


def _copy(seeded, tmp_path: Path, *, redis_url: str) -> tuple[dict, Path, dict]:
    db = tmp_path / "desk.sqlite3"
    shutil.copy(seeded[0], db)
    return desk_env(tmp_path, redis_url=redis_url), db, seeded[1]


ITEM = {
    "channel": "vk",
    "external_id": "fault-1",
    "received_at": "2026-05-08T16:30:00+07:00",
    "text": "Во дворе не вывозят мусор",
    "author": {"name": "Анна Редисова", "profile_url": "https://vk.com/id5"},
}


def test_redis_down_during_ingest_loses_nothing(seeded, tmp_path):
    # Broker and cache at a port nothing listens on.
    env, db, data = _copy(seeded, tmp_path, redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    with gunicorn(env, log=tmp_path / "gunicorn.log") as base:
        status, _, body = http(
            "POST", f"{base}/api/v1/ingest/", token=data["tokens"]["integration"], body=ITEM
        )
        assert status == 201, body[:2000]
        case_id = json.loads(body)["id"]
    assert _rows(db, "SELECT COUNT(*) FROM cases_case WHERE id = ?", case_id) == [(1,)]
    clocks = _rows(db, "SELECT COUNT(*) FROM deadlines_deadline WHERE case_id = ?", case_id)
    assert clocks[0][0] >= 1
    pending = _rows(db, "SELECT COUNT(*) FROM mcu_notification WHERE email_status = 'pending'")
    # The broker is back: beat's delivery task sends what waited (run here as beat would).
    _redis_or_skip()
    back = desk_env(tmp_path, redis_url=REDIS_URL)
    _python(back, "from mcu.tasks import deliver_notifications; deliver_notifications()")
    left = _rows(db, "SELECT COUNT(*) FROM mcu_notification WHERE email_status = 'pending'")
    assert left[0][0] == 0 or left[0][0] < pending[0][0]


def test_redis_down_during_a_calendar_edit_commits_and_recomputes_later(seeded, tmp_path):
    env, db, _ = _copy(seeded, tmp_path, redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    out = _python(
        env,
        """
        from deadlines.models import RecomputeRequest
        from deadlines.services import recompute_request
        from django.db import transaction
        from mcu.models import Municipality
        with transaction.atomic():   # what the admin's save does, the broker down after it
            request = recompute_request(
                municipality_id=Municipality.objects.get(slug="mzh").pk, reason="fault test"
            )
        print(request.pk)
        """,
    )
    request_id = int(out.split()[-1])
    assert _rows(db, "SELECT done_at FROM deadlines_recomputerequest WHERE id = ?", request_id) == [
        (None,)
    ]
    # Later, with the broker back: beat's recompute_pending runs what the edit left behind.
    _python(env, "from deadlines.tasks import recompute_pending; print(recompute_pending())")
    [(done_at,)] = _rows(
        db, "SELECT done_at FROM deadlines_recomputerequest WHERE id = ?", request_id
    )
    assert done_at is not None


def test_a_worker_killed_mid_task_gets_the_task_again(tmp_path):
    _redis_or_skip()
    from celery import Celery

    queue = f"faults-{uuid.uuid4().hex[:8]}"
    env = desk_env(tmp_path, redis_url=REDIS_URL)
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "mcu", "worker", "-I", "tests.integration.fault_tasks",
             "-Q", queue, "--pool=prefork", "-c", "1", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    # Not the current app: the suite's shared tasks must stay bound to the desk's (eager) one.
    sender = Celery(broker=REDIS_URL, set_as_current=False)
    try:
        sender.send_task("tests.slow_marker", args=[str(tmp_path), 300], queue=queue)
        starts = tmp_path / "starts"
        first = wait_until(lambda: starts.exists() and starts.read_text().split(), timeout=90)
        assert first, log.read_text()[-3000:]
        os.kill(int(first[0]), signal.SIGKILL)  # the pool process running the task
        assert wait_until(lambda: (tmp_path / "done").exists(), timeout=60), log.read_text()[-3000:]
        pids = starts.read_text().split()
        assert len(pids) == 2 and pids[0] != pids[1]
        assert "WorkerLostError" in log.read_text()
    finally:
        stop(worker)
        sender.close()


def test_two_beats_sweeping_at_once_notify_once(seeded, tmp_path):
    env, db, _ = _copy(seeded, tmp_path, redis_url="")
    _python(
        env,
        """
        from datetime import timedelta
        from django.utils import timezone
        from cases.models import Case
        from deadlines.models import Deadline
        # Every running clock of the seeded cases is due an hour ago.
        Deadline.objects.filter(met_at=None, cancelled_at=None).update(
            due_at=timezone.now() - timedelta(hours=1)
        )
        """,
    )
    sweep = "from deadlines.services import deadlines_sweep; print(deadlines_sweep())"
    beats = [
        subprocess.Popen(
            [PYTHON, "-c", "import django; django.setup()\n" + sweep],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for beat in beats:
        _out, err = beat.communicate(timeout=120)
        assert beat.returncode == 0, err[-3000:]
    [(rows, keys)] = _rows(db, "SELECT COUNT(*), COUNT(DISTINCT key) FROM mcu_notification")
    breaches = _rows(db, "SELECT COUNT(*) FROM mcu_notification WHERE key LIKE 'deadline.breach:%'")
    assert breaches[0][0] > 0
    assert rows == keys


# ------------------------------------------------------------------ PostgreSQL restart


def _pg_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: the cluster runs as the ``postgres`` user."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and no postgres user to run a cluster as")
    return entry.pw_uid, entry.pw_gid


def _as_pg_user(ids):
    if ids is None:
        return None

    def demote():
        os.setgid(ids[1])
        os.setuid(ids[0])

    return demote


class Cluster:
    def __init__(self, folder: Path):
        if not (PG_BIN / "initdb").exists():
            pytest.skip(f"no PostgreSQL binaries in {PG_BIN}")
        self.ids = _pg_user()
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        if self.ids:
            os.chmod(folder.parent, 0o755)
            os.chown(folder, *self.ids)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def _run(self, tool: str, *args: str, check: bool = True):
        return subprocess.run(
            [str(PG_BIN / tool), *args],
            preexec_fn=_as_pg_user(self.ids),
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
            cwd=self.folder,
        )

    def start(self):
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.folder / "log"), "start")  # fmt: skip

    def stop(self, mode: str = "fast"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


def test_postgresql_restart_fails_cleanly_and_recovers(tmp_path):
    # Its own folder straight under the system's temporary one: pytest's is private to
    # root, and the cluster runs as the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="desk-pg-"))
    cluster = Cluster(folder / "pg")
    cluster.start()
    try:
        env = desk_env(tmp_path, database_url=cluster.url)
        env["DEBUG"] = "false"  # as in production: error pages, not the debug page
        data = migrate_and_seed(env)
        token = data["tokens"]["administrator"]
        with gunicorn(env, workers=1, threads=2, log=tmp_path / "gunicorn.log") as base:
            assert http("GET", f"{base}/api/v1/cases/", token=token)[0] == 200
            cluster.stop()
            status, kind, body = http("GET", f"{base}/api/v1/cases/", token=token)
            assert status == 503, body[:2000]
            assert kind.startswith("application/json")
            assert "База данных недоступна" in json.loads(body)["detail"]
            # A page (its session is looked up in the database): the Russian 503 page.
            page_status, _, page = http("GET", f"{base}/cases/", Cookie="sessionid=whatever")
            assert page_status == 503, page[:2000]
            assert "Сервис временно недоступен" in page.decode()
            health = http("GET", f"{base}/healthz")
            assert health[0] == 503
            cluster.start()
            # Back without restarting gunicorn: the next requests open a new connection.
            assert wait_until(
                lambda: http("GET", f"{base}/api/v1/cases/", token=token)[0] == 200, timeout=30
            )
            assert http("GET", f"{base}/healthz")[0] == 200
        log = (tmp_path / "gunicorn.log").read_text(errors="replace")
        assert "Traceback" not in log or "OperationalError" in log
    finally:
        cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)
