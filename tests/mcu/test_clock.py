"""The session clock of the suite (tests/conftest.py): ``DESK_TEST_CLOCK_SHIFT_DAYS`` really
moves every clock the desk reads, and it keeps running."""

import datetime as dt
import time

import time_machine
from django.utils import timezone


def test_the_session_clock_runs_the_shift_ahead(clock_shift_days):
    travelling = time_machine.escape_hatch.is_travelling()
    assert travelling == bool(clock_shift_days)
    real = time_machine.escape_hatch.time.time() if travelling else time.time()
    shift = dt.timedelta(days=clock_shift_days)
    for seen in (time.time(), timezone.now().timestamp(), dt.datetime.now().timestamp()):
        assert abs(seen - real - shift.total_seconds()) < 120
    assert abs(dt.date.today() - (dt.date.fromtimestamp(real) + shift)) <= dt.timedelta(days=1)


def test_the_session_clock_ticks():
    first = timezone.now()
    time.sleep(0.01)
    assert timezone.now() > first
