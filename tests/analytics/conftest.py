"""A small hand-made data set whose right answers are written out in the tests.

Междуреченск (Asia/Novokuznetsk, UTC+7, Mon–Fri 08:00–17:00); "now" is frozen at
2026-02-20 12:00 local; the period is the week 02.02.2026–08.02.2026 (no holidays), the
previous period 26.01–01.02. Incidents: answer due 8 working hours after receipt.

The data set is built once per test module (``_module_data``) inside an outer
transaction that is rolled back when the module ends; each test runs in a savepoint of
it (pytest-django's ``db``), so a test's own changes are undone before the next one and
the hand-made cases are not rebuilt for every test.
"""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import transaction

from cases import services
from tests.cases.conftest import png
from tests.factories import CategoryFactory, DistrictFactory

TZ = zoneinfo.ZoneInfo("Asia/Novokuznetsk")
NOW = dt.datetime(2026, 2, 20, 12, 0, tzinfo=TZ)
PERIOD = (dt.date(2026, 2, 2), dt.date(2026, 2, 8))


def local(day: int, hour: int, minute: int = 0, month: int = 2) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def _categories():
    roads = CategoryFactory(code="a-roads", name="Дороги")
    potholes = CategoryFactory(code="a-potholes", name="Ямы", parent=roads)
    water = CategoryFactory(code="a-water", name="Водоснабжение")
    leaks = CategoryFactory(code="a-leaks", name="Протечки", parent=water)
    return {"roads": roads, "potholes": potholes, "water": water, "leaks": leaks}


class Flow:
    """The workflow through the real services, each step at its own time."""

    def __init__(self, world, cats):
        self.w, self.cats = world, cats
        self.u = world.users
        self.district = DistrictFactory(municipality=world.mun, name="Западный")

    def register(self, at, *, text="Яма на дороге у дома 5", mun=None, **fields):
        return services.case_register(
            municipality=mun or self.w.mun,
            kind="incident",
            channel="vk",
            text=text,
            received_at=at,
            at=at,
            **fields,
        )

    def assign(self, case, at, *, org=None, category=None):
        return services.case_assign(
            case.pk,
            actor=self.u["administrator"],
            organisation=org or self.w.org,
            category=category or self.cats["potholes"],
            district=self.district,
            at=at,
        )

    def executor(self, org):
        return self.u["executor"] if org in (None, self.w.org) else self.u["executor_other"]

    def answer(self, case, at, *, org=None):
        ex = self.executor(org)
        case.refresh_from_db()
        if case.status == "assigned":
            services.case_accept(case.pk, actor=ex, at=at)
        return services.case_submit_answer(
            case.pk, actor=ex, text="Сделано.", attachments=[png()], at=at
        )

    def publish(self, case, at):
        services.case_approve(case.pk, actor=self.u["administrator"], at=at)
        return services.case_publish(case.pk, actor=self.u["administrator"], at=at)

    def full(self, received, answered, published, *, org=None, category=None, **kw):
        case = self.register(received, **kw)
        self.assign(case, received + dt.timedelta(minutes=10), org=org, category=category)
        self.answer(case, answered, org=org)
        return self.publish(case, published)


def _build(world, flow):
    """The cases of the period; the expected figures are in test_indicators.py."""
    u, f = world.users, flow
    c = {}
    # c1, org A: received Mon 09:00, published 11:00 — 2 working hours, on time.
    c["c1"] = f.full(local(2, 9), local(2, 10), local(2, 11))
    # c2, org A: answer returned once, published Tue 09:00 (9 working hours, late), then
    # a rating of 1 reopens it; its new answer clock (due Wed 09:00) is still open.
    c2 = f.register(local(2, 9, 5), text="Вода течёт по стене подъезда")
    f.assign(c2, local(2, 9, 15), category=f.cats["leaks"])
    f.answer(c2, local(2, 10))
    services.case_return(c2.pk, actor=u["administrator"], reason="Нет фото", at=local(2, 10, 30))
    f.answer(c2, local(2, 12))
    f.publish(c2, local(3, 9, 5))
    services.case_record_feedback(c2.pk, actor=u["administrator"], rating=1, at=local(3, 10))
    c["c2"] = c2
    # c3, org A: received Sun 23:30 local, the last day of the period: in.
    c["c3"] = f.register(local(8, 23, 30))
    f.assign(c["c3"], local(8, 23, 40))
    # c4, org A: received Mon 00:30 local of the next day: out.
    c["c4"] = f.register(local(9, 0, 30))
    f.assign(c["c4"], local(9, 0, 40))
    # c5, org B: one case only (below the minimum of 2): shown, not ranked. Rated 5.
    c["c5"] = f.full(local(3, 10), local(3, 11), local(3, 12), org=world.org2)
    services.case_record_feedback(c["c5"].pk, actor=u["administrator"], rating=5, at=local(3, 13))
    # c8, org A: an interim answer (promised Thu 12:00) published Wed 10:00 meets the
    # answer clock; the promise is never kept: a broken promise.
    c8 = f.register(local(4, 9))
    f.assign(c8, local(4, 9, 10))
    services.case_accept(c8.pk, actor=u["executor"], at=local(4, 9, 20))
    services.case_give_interim_answer(
        c8.pk,
        actor=u["executor"],
        text="Заявка передана бригаде.",
        promised_at=local(5, 12),
        at=local(4, 9, 30),
    )
    services.case_publish_interim(c8.pk, actor=u["administrator"], at=local(4, 10))
    c["c8"] = c8
    # previous period (26.01–01.02): two cases of org A, both on time.
    c["p1"] = f.full(local(27, 9, month=1), local(27, 10, month=1), local(27, 11, month=1))
    c["p2"] = f.full(local(27, 10, month=1), local(27, 11, month=1), local(27, 12, month=1))
    return c


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """World, categories and the workflow helper, made once per module inside a
    transaction that is rolled back when the module ends (the tests run in savepoints
    inside it)."""
    from tests.reference import World

    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
        world = World.load()
        cats = _categories()
        made = {"world": world, "cats": cats, "flow": Flow(world, cats)}
    try:
        yield made
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def _module_data(_module_world, django_db_blocker):
    """The hand-made cases, built once per module that asks for them (a module whose
    tests want no cases must not ask: the cases stay until the module ends)."""
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False):
        return _build(_module_world["world"], _module_world["flow"])


@pytest.fixture
def cats(_module_world, db):
    return _module_world["cats"]


@pytest.fixture
def flow(_module_world, db):
    return _module_world["flow"]


@pytest.fixture
def dataset(frozen, _module_data, db):
    return _module_data
