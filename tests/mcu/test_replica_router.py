"""Analytics read from a real streaming replica when one is configured (mcu/db_routers.py).

PostgreSQL only. A private pair of servers is started in a temporary directory — a
primary (``initdb``, which allows replication from the loopback) and a standby made from
it with ``pg_basebackup -R`` streaming from it, each on a free port — and the suite's test
database is copied into the primary (``pg_dump``), so the desk's schema and personas are
there. The test then points ``default`` at the primary and ``replica`` at the standby
(as ``DATABASE_REPLICA_URL`` would), writes a case on the primary, waits until the standby
has replayed it, and asks the analytics API: its SELECTs run on the standby (a server in
recovery), none on the primary; the case list's stay on the primary.

The shared server is not used as the primary: replicating from it needs a ``replication``
line in its pg_hba.conf, which a test must not edit. Skipped cleanly when the PostgreSQL
binaries or an unprivileged user to run them are missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a streaming replica is PostgreSQL's"
)


def _bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "postgres").exists() and (candidate / "pg_basebackup").exists():
            return candidate
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pair:
    """A primary and its streaming standby in ``root``, run as an unprivileged user."""

    def __init__(self, root: Path, bindir: Path):
        self.root, self.bin = root, bindir
        self.primary_port, self.replica_port = _free_port(), _free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            subprocess.run(["chown", "-R", self.user, str(root)], check=True)

    def run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        command = list(args)
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)

    def tool(self, name: str) -> str:
        return str(self.bin / name)

    def start(self) -> None:
        primary, replica = self.root / "primary", self.root / "replica"
        self.run(
            self.tool("initdb"),
            "-D",
            str(primary),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        common = (
            f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
            "fsync = off\nfull_page_writes = off\nwal_level = replica\nmax_wal_senders = 4\n"
            "shared_buffers = 32MB\njit = off\n"
        )
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write(common + f"port = {self.primary_port}\n")
        self.run(
            self.tool("pg_ctl"),
            "-D",
            str(primary),
            "-w",
            "-l",
            str(self.root / "primary.log"),
            "start",
        )
        self.run(
            self.tool("pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary_port),
            "-U",
            "postgres",
            "-D",
            str(replica),
            "-R",
            "-X",
            "stream",
        )
        with open(replica / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.replica_port}\nhot_standby = on\n")
        self.run(
            self.tool("pg_ctl"),
            "-D",
            str(replica),
            "-w",
            "-l",
            str(self.root / "replica.log"),
            "start",
        )

    def stop(self) -> None:
        for name in ("replica", "primary"):
            if (self.root / name / "postmaster.pid").exists():
                self.run(
                    self.tool("pg_ctl"), "-D", str(self.root / name), "-m", "immediate", "stop"
                )


@pytest.fixture(scope="module")
def pair(django_db_setup, django_db_blocker):
    bindir = _bindir()
    if bindir is None or shutil.which("pg_dump") is None:
        pytest.skip("no PostgreSQL server binaries here")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root with no runuser to start the servers unprivileged")
    # Not under pytest's tmp (0700, root's): the servers' user must reach it.
    root = Path(tempfile.mkdtemp(prefix="desk-replica-"))
    root.chmod(0o755)
    servers = Pair(root, bindir)
    try:
        servers.start()
    except subprocess.CalledProcessError as exc:
        servers.stop()
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start a primary and a standby here: {exc.stderr[-300:]}")
    # The suite's test database (schema, reference data, personas) into the primary.
    test_db = connection.settings_dict
    dump = subprocess.run(
        [
            "pg_dump",
            "--no-owner",
            "-h",
            test_db["HOST"] or "127.0.0.1",
            "-p",
            str(test_db["PORT"] or 5432),
            "-U",
            test_db["USER"] or "postgres",
            test_db["NAME"],
        ],
        check=True,
        capture_output=True,
    ).stdout
    psql = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(
        [*psql, "-p", str(servers.primary_port), "-c", "CREATE DATABASE desk"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*psql, "-p", str(servers.primary_port), "-d", "desk"],
        input=dump,
        check=True,
        capture_output=True,
    )
    yield servers
    servers.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def desk_on_pair(pair, django_db_blocker):
    """``default`` → the private primary, ``replica`` → its standby, for one test."""
    saved = dict(connections.settings["default"])
    primary = {
        **saved,
        "HOST": "127.0.0.1",
        "PORT": pair.primary_port,
        "NAME": "desk",
        "USER": "postgres",
        "PASSWORD": "",
        "CONN_MAX_AGE": 0,
    }
    replica = {**primary, "PORT": pair.replica_port, "TEST": {"MIRROR": "default"}}
    with django_db_blocker.unblock():
        connections["default"].close()
        connections.settings["default"].update(primary)
        connections["default"].settings_dict.update(primary)
        connections.settings["replica"] = replica
        try:
            yield pair
        finally:
            for alias in ("default", "replica"):
                if alias in connections:
                    connections[alias].close()
            del connections.settings["replica"]
            connections.settings["default"].clear()
            connections.settings["default"].update(saved)
            connections["default"].settings_dict.clear()
            connections["default"].settings_dict.update(saved)
            with contextlib.suppress(AttributeError, KeyError):
                del connections["replica"]


def _replayed(timeout: float = 30.0) -> None:
    """Wait until the standby has replayed everything the primary has written."""
    with connections["default"].cursor() as cur:
        cur.execute("SELECT pg_current_wal_lsn()")
        (target,) = cur.fetchone()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections["replica"].cursor() as cur:
            cur.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cur.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the standby did not catch up")


def _reads(captured, table: str) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT") and f'"{table}"' in q["sql"]
    ]


def test_analytics_reads_go_to_the_streaming_replica(desk_on_pair, client):
    from cases.models import Case
    from mcu.db_routers import replica_reads
    from mcu.models import User
    from tests.factories import CaseFactory

    with connections["replica"].cursor() as cur:
        cur.execute("SELECT pg_is_in_recovery()")
        assert cur.fetchone()[0] is True  # a real standby, not the primary again

    head = User.objects.get(username="head")
    case = CaseFactory(municipality=head.municipality, text="Яма на дороге — после копии")
    client.force_login(head)
    _replayed()

    # Written on the primary after the base backup, read back through the router.
    with replica_reads(), CaptureQueriesContext(connections["replica"]) as on_replica:
        assert Case.objects.filter(pk=case.pk).exists()
    assert _reads(on_replica, "cases_case")

    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get("/api/v1/analytics/top-problems/", {"preset": "month"})
    assert response.status_code == 200, response.content[:300]
    assert _reads(on_replica, "cases_case"), "the analytics query did not reach the replica"
    assert not _reads(on_primary, "cases_case"), "an analytics query ran on the primary"

    # The case list is not analytics: it reads the primary only.
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        assert client.get("/cases/").status_code == 200
    assert _reads(on_primary, "cases_case")
    assert not on_replica.captured_queries


def test_without_a_replica_everything_stays_on_default(db):
    from mcu.db_routers import ReplicaRouter, replica_reads
    from mcu.models import User

    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(User) is None  # no replica configured: the default
        assert router.db_for_write(User) == "default"
    assert router.allow_migrate("replica", "cases") is False
