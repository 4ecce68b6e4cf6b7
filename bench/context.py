"""What the benchmarks share, each made once per run (see ``bench/__init__.py``)."""

from __future__ import annotations

import atexit
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/mcu_bench"
# The desk's PostgreSQL settings (docker-compose.yml) that a database can carry itself;
# shared_buffers needs the server's own configuration.
DATABASE_SETTINGS = {
    "jit": "off",
    "work_mem": "16MB",
    "random_page_cost": "1.1",
    "effective_cache_size": "3GB",
}


def admin_url(url: str) -> tuple[str, str]:
    """The maintenance database's URL on the same server, and the database's name."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or parts.scheme not in ("postgres", "postgresql"):
        sys.exit(f"BENCH_DATABASE_URL must be a PostgreSQL URL with a database name: {url!r}")
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), name


def ensure_database(url: str) -> None:
    import psycopg

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as con:
        if not con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            con.execute(f'CREATE DATABASE "{name}"')
        for setting, value in DATABASE_SETTINGS.items():
            con.execute(f"ALTER DATABASE \"{name}\" SET {setting} = '{value}'")


class Context:
    def __init__(self, *, count: int, port: int, requests: int):
        self.count = count
        self.port = port
        self.requests = requests
        self.database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
        self.redis_url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or ""
        self.var_dir = Path(os.environ.get("VAR_DIR") or ROOT / "var" / "bench")
        self._django = False
        self._dataset: int | None = None
        self._server: subprocess.Popen | None = None
        self._sessions: dict = {}
        self._token: str | None = None

    # -- Django on the benchmark database ---------------------------------------------
    def django(self) -> None:
        if self._django:
            return
        os.environ["DATABASE_URL"] = self.database_url
        os.environ["VAR_DIR"] = str(self.var_dir)
        os.environ["DJANGO_SETTINGS_MODULE"] = "mcu.settings"
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        if self.redis_url:
            os.environ["REDIS_URL"] = self.redis_url
        ensure_database(self.database_url)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        self._django = True

    def dataset(self) -> int:
        """The generated cases: ``generate_cases --count`` on the first run, then reused
        (recognised by their count; another count is used as it is, with a note)."""
        if self._dataset is not None:
            return self._dataset
        self.django()
        from django.core.management import call_command

        from cases.demo.generate import SOURCE
        from cases.models import Case

        have = Case.objects.filter(source=SOURCE).count()
        if have == 0:
            print(f"  generating {self.count:,} cases (once; later runs reuse them)", flush=True)
            started = time.perf_counter()
            call_command("generate_cases", count=self.count)
            from bench import record

            record(
                "generate_cases.seconds",
                time.perf_counter() - started,
                "s",
                target=300 if self.count >= 1_000_000 else None,
            )
            have = self.count
        elif have != self.count:
            print(f"  note: the database holds {have:,} generated cases, not {self.count:,}")
        else:
            print(f"  reusing {have:,} generated cases in {admin_url(self.database_url)[1]}")
        self._dataset = have
        return have

    # -- gunicorn ----------------------------------------------------------------------
    def server_env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_ENV": "production",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Production settings, but plain HTTP on the loopback.
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "EMAIL_DISABLED": "true",
            "DATABASE_URL": self.database_url,
            "VAR_DIR": str(self.var_dir),
            "LOG_LEVEL": "WARNING",
            "DESK_BENCH_QUERY_COUNT": "1",
            # The ingest benchmark measures the desk, not its throttle.
            "INGEST_THROTTLE_RATE": "1000000/min",
            "INGEST_BATCH_THROTTLE_RATE": "100000/min",
        }
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def server(self) -> str:
        """gunicorn with two sync workers on 127.0.0.1:``port``; its base URL."""
        base = f"http://127.0.0.1:{self.port}"
        if self._server is not None:
            return base
        self.dataset()
        env = self.server_env()
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            sys.exit(f"port {self.port} is taken: set BENCH_PORT")
        except OSError:
            pass
        log = open(self.var_dir / "gunicorn.log", "ab")  # noqa: SIM115 (open while it runs)
        self._server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "mcu.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "300",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
        atexit.register(self.stop)
        from bench.http import Browser

        for _ in range(300):
            try:
                if Browser(base).get("/healthz").status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            self.stop()
            sys.exit(f"gunicorn did not answer on {base}: see {self.var_dir / 'gunicorn.log'}")
        return base

    def worker_pids(self) -> list[int]:
        if self._server is None:
            return []
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self._server.pid:
                pids.append(int(stat.parent.name))
        return pids

    def stop(self) -> None:
        if self._server is not None:
            self._server.send_signal(signal.SIGTERM)
            try:
                self._server.wait(30)
            except subprocess.TimeoutExpired:
                self._server.kill()
            self._server = None

    # -- who -----------------------------------------------------------------------------
    def session(self, username: str):
        """A ``bench.http.Browser`` signed in as ``username`` (demo password)."""
        if username not in self._sessions:
            from django.conf import settings

            from bench.auth import login_session

            self._sessions[username] = login_session(
                self.server(), username, settings.DEMO_PASSWORD
            )
        return self._sessions[username]

    def integration_token(self) -> str:
        if self._token is None:
            self.dataset()
            from bench.auth import integration_token

            self._token = integration_token()
        return self._token
