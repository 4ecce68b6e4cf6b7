"""Running the desk as a real server for the integration tests: a free port, an
environment that names only the test's own database, broker and folders, migrate and
``seed_small`` in subprocesses, gunicorn started and stopped by its process group.

Nothing here touches a settings file or another process's data: every test passes its own
``tmp_path``, and a database URL of its own (a file SQLite unless it gives another).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on (bound, then released: connections are refused)."""
    return free_port()


def desk_env(tmp_path: Path, *, database_url: str | None = None, redis_url: str = "") -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "DJANGO_", "CELERY_", "DATABASE_", "REDIS_", "EMAIL_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mcu.settings",
        DJANGO_ENV="development",
        DATABASE_URL=database_url or f"sqlite:///{tmp_path / 'desk.sqlite3'}",
        VAR_DIR=str(tmp_path / "var"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        TELEGRAM_BOT_TOKEN="",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def migrated_template(folder: Path) -> Path:
    """A migrated SQLite database in ``folder`` (the test run's shared temporary folder),
    built by the first test that asks, under a file lock: migrating takes ~6 s of CPU and
    every integration desk starts from the same schema. The file name carries a digest of
    the migrations, so a changed migration never meets an old template."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    template = folder / f"migrated-{digest.hexdigest()[:16]}.sqlite3"
    with (folder / "migrated.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            build = folder / f"migrating-{os.getpid()}"
            build.mkdir(exist_ok=True)
            env = desk_env(build)
            manage(env, "migrate", "--noinput", "-v0")
            (build / "desk.sqlite3").replace(template)
    return template


def _static_digest() -> str:
    """What ``collectstatic`` under the production settings makes of the tree: every file
    the finders list (path and content), the settings and the finder that choose and
    store them, and the versions of Django and whitenoise that hash and compress them."""
    from importlib.metadata import version

    from django.apps import apps
    from django.contrib.staticfiles import finders

    digest = hashlib.sha256()
    for name in ("django", "whitenoise", "brotli"):
        digest.update(f"{name}={version(name)}\n".encode())
    for path in sorted([*ROOT.glob("mcu/settings/*.py"), ROOT / "mcu" / "staticfiles.py"]):
        digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    ignore = apps.get_app_config("staticfiles").ignore_patterns
    for finder in finders.get_finders():
        for path, storage in sorted(finder.list(ignore), key=lambda found: found[0]):
            digest.update(f"\n{type(finder).__name__}:{path}\n".encode())
            digest.update(Path(storage.path(path)).read_bytes())
    return digest.hexdigest()[:16]


def collected_static(env: dict) -> Path:
    """The static files as the image's build collects them (``collectstatic`` under
    ``env``, the production settings: hashed names, brotli and gzip copies), kept under
    the worktree's ``var/test-static/`` between runs: compressing takes ~15 s of CPU and
    the tree changes only with what ``_static_digest`` covers. Built in a folder of its
    own and renamed into place under a file lock, so a run that is interrupted or runs
    beside another never leaves or reads half a tree; older trees are removed."""
    cache = ROOT / "var" / "test-static"
    cache.mkdir(parents=True, exist_ok=True)
    tree = cache / _static_digest()
    with (cache / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (tree / "staticfiles.json").exists():
            build = cache / f"building-{os.getpid()}"
            shutil.rmtree(build, ignore_errors=True)
            manage({**env, "STATIC_ROOT": str(build)}, "collectstatic", "--noinput", "-v0")
            shutil.rmtree(tree, ignore_errors=True)
            build.rename(tree)
        for old in cache.iterdir():
            if old.is_dir() and old != tree and not old.name.startswith("building-"):
                shutil.rmtree(old, ignore_errors=True)
    return tree


def migrate(env: dict, template: Path | None = None) -> None:
    """The desk's database migrated: a copy of ``template`` for a file SQLite (see
    ``migrated_template``), ``manage.py migrate`` otherwise."""
    url = env["DATABASE_URL"]
    if template is not None and url.startswith("sqlite:///"):
        shutil.copyfile(template, url.removeprefix("sqlite:///"))
        return
    manage(env, "migrate", "--noinput", "-v0")


def migrate_and_seed(env: dict, template: Path | None = None) -> dict:
    migrate(env, template)
    done = subprocess.run(
        [PYTHON, "-m", "tests.integration.seed_small"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"seed_small failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def http(method: str, url: str, *, token: str = "", body=None, timeout: float = 30, **headers):
    """(status, content type, body bytes); never raises for an HTTP status."""
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    if token:
        headers["Authorization"] = f"Token {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def wait_until(predicate, *, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


@contextlib.contextmanager
def gunicorn(env: dict, *, workers: int = 1, threads: int = 1, log: Path | None = None):
    """The desk under gunicorn on a free port; yields its base URL."""
    port = free_port()
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "mcu.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def up():
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}")
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5)
                return True
            except urllib.error.HTTPError:
                return True  # listening; the health itself is the test's business
            except OSError:
                return False

        if not wait_until(up, timeout=60):
            raise RuntimeError("gunicorn did not start listening within 60 s")
        yield base
    finally:
        stop(server)
        if log:
            out.close()


def stop(process: subprocess.Popen, *, sig=signal.SIGTERM, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
