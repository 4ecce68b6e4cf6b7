"""Shared fixtures: one persona per role in two municipalities (Healthchecks' alice/bob/
charlie, NetBox's constrained-permission tests), and a clock no test may trust.

The personas and the reference data (policies, rules, the production calendar) are built
once per worker database in ``django_db_setup`` (tests/reference.py); each test rolls back
to them. A transactional test (browser, concurrency) flushes the tables at its end, so they
are built again right after it.

``DESK_TEST_CLOCK_SHIFT_DAYS=N`` moves the clock N days ahead for the whole session (every
pytest-xdist worker starts it): ``.ci/run`` runs the suite so a second time, which proves no
test depends on today's date. A test that needs a particular moment freezes it with
``time_machine.travel``.
"""

import datetime as dt
import os
import sys

import pytest

# Playwright's sync API runs an event loop in the test thread; the live server's ORM calls
# are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The suite starts some fifty Python processes (the xdist workers, manage.py, gunicorn,
# Celery, seed scripts): under PYTHONDONTWRITEBYTECODE, as container images often set it,
# each would compile the project and the test files again (~6 s of CPU per worker, 1–2 s
# per subprocess). Bytecode goes to the git-ignored __pycache__ folders instead; set here,
# in the first process, before it starts the workers, which inherit the environment.
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
    sys.dont_write_bytecode = False

from tests.reference import World, reference_data_ensure

CLOCK_SHIFT_VAR = "DESK_TEST_CLOCK_SHIFT_DAYS"

# The database blocker of the session, for the restore after a transactional test.
_db_blocker = None


# The longest files start first, each on a worker of its own (--dist loadfile with
# --no-loadscope-reorder, pyproject.toml), so the rest of the suite runs beside them
# instead of after them.
SLOW_FIRST = (
    "tests/integration/test_api_contract.py",  # schemathesis under gunicorn (25 s budget)
    "tests/integration/test_api_contract_channels.py",  # the same, 20 s, on another worker
    "tests/integration/test_faults.py",  # a PostgreSQL cluster of its own, workers, gunicorn
    "tests/mcu/test_seed_demo.py",
    "tests/integration/test_celery_sweep.py",  # a worker with beat, ticking every 2 s
    "tests/test_authorization_matrix.py",  # ~400 cells
    "tests/deadlines/test_engine_properties.py",
)


def pytest_collection_modifyitems(config, items):
    def rank(item):
        path = item.nodeid.split("::", 1)[0]
        return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)  # stable: the order inside a file and among the rest is kept


def pytest_xdist_auto_num_workers(config):
    """``-n auto``: one worker more than the cores, because the integration and browser
    tests mostly wait for their own processes (gunicorn, Celery, schemathesis, Chromium)
    and would otherwise hold a core idle."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture(scope="session", autouse=True)
def clock_shift_days():
    """Days the session's clock runs ahead of the real one (0 unless the variable is set)."""
    raw = os.environ.get(CLOCK_SHIFT_VAR, "").strip()
    if not raw or raw == "0":
        yield 0
        return
    try:
        days = int(raw)
    except ValueError:
        raise pytest.UsageError(f"{CLOCK_SHIFT_VAR} must be a whole number of days") from None
    import time_machine

    traveller = time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=days), tick=True)
    traveller.start()
    try:
        yield days
    finally:
        traveller.stop()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, clock_shift_days):
    """pytest-django's test database, plus the personas and reference data (once)."""
    global _db_blocker
    _db_blocker = django_db_blocker
    with django_db_blocker.unblock():
        reference_data_ensure()


def _is_transactional(item) -> bool:
    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    return (
        "transactional_db" in names
        or "live_server" in names
        or (marker is not None and marker.kwargs.get("transaction", False))
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test has flushed the tables, put the reference data back."""
    try:
        return (yield)
    finally:
        if _db_blocker is not None and _is_transactional(item):
            with _db_blocker.unblock():
                reference_data_ensure()


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """Data built once for a whole module (Django's ``setUpTestData`` for pytest): the
    module's fixtures write inside an outer transaction that is rolled back after its last
    test, and each test's own transaction nests in it as a savepoint, so a test still
    sees the module's data as built, whatever the test before it did. Not for modules
    with transactional tests (browser, races), which commit."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(db):
    loaded = World.load()
    if loaded is None:
        # Only if something deleted the personas outside a test transaction.
        reference_data_ensure()
        loaded = World.load()
    return loaded


@pytest.fixture(autouse=True)
def _fresh_calendar_version():
    """Calendars are cached per process, keyed by the version of the calendar tables; the
    version itself is trusted for a few seconds. A test re-reads it on first use, so it
    never takes the previous test's version (whose rows were rolled back) for its own, and
    the calendars built for the session's data are reused (building one takes ~40 ms).
    tests/deadlines, which edit calendars all the time, forget every calendar instead."""
    from channels.rules import rules_forget
    from deadlines import calendars
    from deadlines.selectors import deadline_rules_forget

    calendars._version_seen = None
    # The rules' versions are counts and latest edits: a rolled-back test's rules under a
    # frozen clock can leave the same version with other rows behind.
    deadline_rules_forget()
    rules_forget()


@pytest.fixture(autouse=True)
def _russian_after_each_test():
    """A request in English leaves English active in the thread; the next test of the same
    worker must start in the desk's language again."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The local-memory cache outlives a test (queue counts are cached per scope, and ids
    come back after a rollback): every test starts from an empty one."""
    from django.core.cache import cache

    cache.clear()
    yield
