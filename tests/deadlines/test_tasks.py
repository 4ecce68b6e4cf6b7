"""The beat tasks: registered under the names the schedule uses, thin, JSON-safe."""

import json

from deadlines import services
from deadlines.tasks import recompute_deadlines, sweep_deadlines
from mcu.celery import app
from mcu.models import Notification
from tests.deadlines.conftest import nsk


def test_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry["task"]
    assert app.tasks["deadlines.sweep"].name == "deadlines.sweep"
    assert app.tasks["mcu.deliver_notifications"].name == "mcu.deliver_notifications"


def test_sweep_task_marks_due_clocks_and_delivers(
    make_case, org_head, django_capture_on_commit_callbacks
):
    # Fast-track: its notices do not wait for working hours (DESIGN §3).
    clock = services.deadline_start(
        case=make_case(fast_track=True), stage="answer", started_at=nsk(2026, 5, 18, 9, 0)
    )
    # Due in the past whatever today is: the task sweeps at the real "now".
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_deadlines.delay().get()
    assert result["breached"] == 1
    clock.refresh_from_db()
    assert clock.breached_at is not None
    # The delivery task ran after commit: the breach e-mails are out.
    assert set(
        Notification.objects.filter(event="deadline.breach").values_list("email_status", flat=True)
    ) == {"sent"}


def test_recompute_task_arguments_survive_json(make_case, world):
    case = make_case()
    services.deadline_start(case=case, stage="answer", started_at=nsk(2026, 5, 18, 9, 0))
    kwargs = json.loads(json.dumps({"municipality_id": world.mun.pk}))
    assert recompute_deadlines.delay(**kwargs).get() == 0  # nothing changed
    assert recompute_deadlines.delay(everything=True).get() == 0
