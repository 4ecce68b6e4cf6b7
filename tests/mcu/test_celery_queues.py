"""Celery queues by kind of work (settings.CELERY_TASK_ROUTES, docs/scaling.md)."""

from django.conf import settings

from mcu.celery import app

EXPECTED = {
    "deadlines.sweep": "deadlines",
    "deadlines.recompute": "deadlines",
    "deadlines.recompute_pending": "deadlines",
    "deadlines.calendar_expiry_warn": "deadlines",
    "cases.close_unreacted": "deadlines",
    "mcu.deliver_notifications": "notifications",
    "cases.retention_erase": "reports",
}


def _queue(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def test_every_task_of_the_desk_is_routed_to_its_queue_by_name():
    app.loader.import_default_modules()
    ours = sorted(n for n in app.tasks if not n.startswith("celery."))
    assert set(EXPECTED) <= set(ours)
    for name in ours:
        queue = _queue(name)
        assert queue in settings.CELERY_TASK_QUEUES_BY_KIND, (name, queue)
        # Routed by a rule, not fallen through to the default queue.
        assert any(
            name == pattern or (pattern.endswith("*") and name.startswith(pattern[:-1]))
            for pattern in settings.CELERY_TASK_ROUTES
        ), f"{name} has no route in CELERY_TASK_ROUTES"
    for name, queue in EXPECTED.items():
        assert _queue(name) == queue, name


def test_the_beat_schedule_names_only_routed_tasks():
    for entry in app.conf.beat_schedule.values():
        assert _queue(entry["task"]) in settings.CELERY_TASK_QUEUES_BY_KIND


def test_rundesk_consumes_every_queue():
    from mcu.management.commands.rundesk import worker_command

    command = worker_command("python")
    queues = command[command.index("-Q") + 1].split(",")
    assert sorted(queues) == sorted(settings.CELERY_TASK_QUEUES_BY_KIND)
    assert "-B" in command


def test_compose_runs_a_worker_per_queue():
    import yaml

    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    commands = [s.get("command", "") for s in compose["services"].values()]
    for queue in settings.CELERY_TASK_QUEUES_BY_KIND:
        assert any(f"worker -Q {queue} " in c for c in commands), queue


def test_the_load_tests_worker_consumes_every_queue(settings):
    """``make bench``'s load test runs the desk's tasks beside the load (the duplicate
    linking of each ingested item among them), not only the default queue's."""
    from bench.bench_load import WORKER_QUEUES

    assert sorted(WORKER_QUEUES) == sorted(settings.CELERY_TASK_QUEUES_BY_KIND)
