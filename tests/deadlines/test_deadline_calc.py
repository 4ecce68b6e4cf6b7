"""``manage.py deadline_calc``: one JSON answer line per input line, errors included."""

import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from deadlines.models import MunicipalCalendarException

EXAMPLE = {
    "start": "2026-05-08T16:30:00+07:00",
    "amount": 480,
    "unit": "working_minutes",
    "timezone": "Asia/Novokuznetsk",
}


def run(monkeypatch, *lines: str) -> list[dict]:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    out = io.StringIO()
    call_command("deadline_calc", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_example_of_the_spec(monkeypatch):
    assert run(monkeypatch, json.dumps(EXAMPLE)) == [{"due_at": "2026-05-12T16:00:00+07:00"}]


def test_every_unit(monkeypatch):
    lines = [
        json.dumps({**EXAMPLE, "unit": unit, "amount": amount})
        for unit, amount in (("calendar_minutes", 240), ("working_days", 5), ("calendar_days", 20))
    ]
    assert run(monkeypatch, *lines) == [
        {"due_at": "2026-05-08T20:30:00+07:00"},
        # 5 working days after Friday 8 May: 12, 13, 14, 15, 18 May, until 17:00.
        {"due_at": "2026-05-18T17:00:00+07:00"},
        # 8 May + 20 days = 28 May (Thursday), until 17:00.
        {"due_at": "2026-05-28T17:00:00+07:00"},
    ]


def test_bad_lines_get_an_error_and_the_rest_go_on(monkeypatch):
    good = json.dumps(EXAMPLE)
    out = run(
        monkeypatch,
        "not json",
        "",
        json.dumps({k: v for k, v in EXAMPLE.items() if k != "amount"}),
        json.dumps({**EXAMPLE, "unit": "fortnights"}),
        json.dumps({**EXAMPLE, "timezone": "Mars/Olympus"}),
        json.dumps({**EXAMPLE, "start": "2026-05-08T16:30:00"}),
        json.dumps({**EXAMPLE, "start": "2031-05-08T16:30:00+07:00"}),
        json.dumps({**EXAMPLE, "amount": -5}),
        json.dumps({**EXAMPLE, "amount": "480"}),
        json.dumps([1, 2]),
        good,
    )
    assert len(out) == 11
    assert all("error" in line for line in out[:10])
    assert "JSON" in out[0]["error"]
    assert "пустая" in out[1]["error"]
    assert "amount" in out[2]["error"]
    assert "fortnights" in out[3]["error"]
    assert "Mars/Olympus" in out[4]["error"]
    assert "смещения" in out[5]["error"]
    assert "2031" in out[6]["error"]
    assert out[10] == {"due_at": "2026-05-12T16:00:00+07:00"}


def test_municipality_calendar_from_the_database(monkeypatch, world, defaults):
    # Междуреченск works on Monday 11 May 2026 (a national day off), 09:00–13:00.
    MunicipalCalendarException.objects.create(
        municipality=world.mun,
        date=date(2026, 5, 11),
        is_day_off=False,
        intervals="09:00-13:00",
    )
    with_mun = {**EXAMPLE, "municipality": "mzh"}
    no_zone = {k: v for k, v in with_mun.items() if k != "timezone"}
    out = run(
        monkeypatch,
        json.dumps(with_mun),
        json.dumps(no_zone),
        json.dumps({**with_mun, "timezone": "Europe/Moscow"}),
        json.dumps({**EXAMPLE, "municipality": "atlantis"}),
        json.dumps(EXAMPLE),
    )
    assert out[0] == {"due_at": "2026-05-12T12:00:00+07:00"}
    assert out[1] == out[0]
    assert "не совпадает" in out[2]["error"]
    assert "atlantis" in out[3]["error"]
    assert out[4] == {"due_at": "2026-05-12T16:00:00+07:00"}  # the default calendar


@pytest.mark.skipif(not Path("manage.py").exists(), reason="run from the project root")
def test_a_real_process_answers_line_by_line():
    # Interactive use: each answer comes out as soon as its line went in (flushed).
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mcu.settings.test"}
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "deadline_calc"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        proc.stdin.write(json.dumps(EXAMPLE) + "\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline()) == {"due_at": "2026-05-12T16:00:00+07:00"}
        proc.stdin.write("{}\n")
        proc.stdin.flush()
        assert "error" in json.loads(proc.stdout.readline())
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
