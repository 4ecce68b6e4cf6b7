"""``manage.py rundesk``: the whole desk in one terminal — web, Celery worker and beat.

Ctrl-C (or SIGTERM) stops all three. Used by ``make run``; production runs them as
separate services (docker-compose.yml).
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Запускает веб-сервер, Celery worker и beat вместе (Ctrl-C останавливает всё)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port: int, host: str, **options):
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        commands = {
            "web": [python, manage, "runserver", f"{host}:{port}", "--noreload"],
            "worker": worker_command(python),
        }
        # Links in e-mails and Telegram messages are absolute (mcu/notifications.py).
        env = {**os.environ}
        env.setdefault("DESK_BASE_URL", f"http://{host}:{port}")
        procs: dict[str, subprocess.Popen] = {}
        for name, cmd in commands.items():
            procs[name] = subprocess.Popen(
                cmd, cwd=settings.BASE_DIR, env=env, start_new_session=True
            )

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"МЦУ запущен: {url}  (Ctrl-C — остановить)"))
        self.stdout.write(f"Документация API: {url}api/docs/   Администрирование: {url}admin/")
        self._print_demo_logins()
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} завершился с кодом {proc.returncode}")
                        stopping = True
                time.sleep(0.5)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            self.stdout.write("Остановлено.")

    def _print_demo_logins(self) -> None:
        """The demo logins once more, under the URL, where a new user looks first."""
        from mcu.models import User

        names = [
            "curator",
            "head",
            "administrator",
            "executor",
            "executor2",
            "observer",
            "integration",
            "admin",
        ]
        present = [
            f"{u.username} ({u.get_role_display() or 'суперпользователь'})"
            for u in sorted(
                User.objects.filter(username__in=names), key=lambda u: names.index(u.username)
            )
        ]
        if present:
            self.stdout.write(
                "Демо-входы (пароль DEMO_PASSWORD, по умолчанию demo): " + ", ".join(present)
            )


def worker_command(python: str) -> list[str]:
    """The one Celery worker of the local desk: every queue, with beat embedded."""
    # -B embeds beat: exactly one such worker may run, or beat would tick twice.
    return [
        python,
        "-m",
        "celery",
        "-A",
        "mcu",
        "worker",
        "-B",
        # Every queue (settings.CELERY_TASK_QUEUES_BY_KIND): one worker does all here.
        "-Q",
        ",".join(settings.CELERY_TASK_QUEUES_BY_KIND),
        "-l",
        "info",
        "--concurrency",
        "2",
        "-s",
        settings.CELERY_BEAT_SCHEDULE_FILENAME,
    ]
