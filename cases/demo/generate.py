"""A synthetic history of a region for load tests: ``manage.py generate_cases``.

Each case is simulated in Python as the desk would have lived it — received on a seasonal,
weekly and daily rhythm, moderated, assigned, accepted, answered (sometimes returned),
approved, published, rated, reopened, closed — and cut at "now": what happened before now
becomes its status, its ``CaseEvent`` rows, its answers, its feedback and its clocks
(``Deadline`` rows started, due, warned, met, breached and escalated as the sweep would
have marked them). Nothing goes through the services (they would take hours); the rows are
written set-based: PostgreSQL ``COPY`` (psycopg 3), ``bulk_create`` in batches elsewhere.

Working time is approximated (Monday to Friday, 08:00–17:00 local time, no holidays):
the figures are for load, not for the letter of the production calendar.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Max

from cases.choices import CHANNELS_BY_KIND, CaseKind, CaseStatus, EventAction
from cases.copies import answer_times_fill
from cases.demo.texts import NAMES, STREETS, TOPICS
from cases.demo.workflow import ANSWERS, REJECT_REASONS
from cases.models import Answer, ApprovalRequirement, Case, CaseEvent, Feedback
from deadlines import services as deadline_services
from deadlines.choices import Stage
from deadlines.models import Deadline, DeadlinePolicy
from deadlines.selectors import deadline_rule_for, deadline_rules_active
from mcu.choices import Role
from mcu.models import Category, Municipality, Organisation, User

SOURCE = "generated"
CHUNK = 10_000

KIND_WEIGHTS = {CaseKind.INCIDENT: 70, CaseKind.POS: 15, CaseKind.APPEAL: 10, CaseKind.HOTLINE: 5}
CHANNEL_WEIGHTS = {
    CaseKind.INCIDENT: [55, 15, 15, 3, 8, 4, 0],  # open311 reports come through the API only
    CaseKind.POS: [1],
    CaseKind.APPEAL: [30, 35, 15, 20],
    CaseKind.HOTLINE: [1],
}
# Arrivals by month (winter: snow, ice and heating), weekday and local hour.
MONTH_FACTOR = [1.35, 1.25, 1.1, 1.0, 0.9, 0.85, 0.8, 0.85, 0.95, 1.15, 1.25, 1.35]
WEEKDAY_FACTOR = [1.15, 1.1, 1.05, 1.0, 0.95, 0.6, 0.5]
HOUR_WEIGHTS = [
    1, 0.6, 0.4, 0.3, 0.3, 0.6, 1.5, 3, 5, 6.5, 7, 6.5,
    6, 6, 6, 5.5, 5.5, 5.5, 6, 6.5, 6, 5, 3.5, 2,
]  # fmt: skip
WINTER = {1, 2, 3, 11, 12}
SEASONAL_TOPICS = {
    "zhkh-heating": lambda m: 3.0 if m in WINTER or m == 10 else 0.15,
    "roads-winter": lambda m: 3.5 if m in WINTER else 0.05,
    "impr-greenery": lambda m: 3.0 if m in (5, 6, 7, 8) else 0.2,
}
RATINGS = ([1, 2, 3, 4, 5], [8, 7, 15, 30, 40])
MINUTE, HOUR, DAY = 60, 3600, 86_400


def _lognormal(rng: random.Random, median: float, sigma: float = 0.8) -> int:
    return int(median * math.exp(rng.gauss(0, sigma)))


@dataclass
class Place:
    """One municipality with what its cases need, by id."""

    id: int
    prefix: str
    offset: int  # seconds east of UTC (no DST in Russia since 2014)
    districts: list[int]
    orgs: list[int]  # by index of MEZHDURECHENSK_ORGANISATIONS
    admin: int
    curator: int
    executors: dict[int, int]  # organisation id → executor user id
    approval_incident: bool
    weight: float


@dataclass
class Rows:
    cases: list = field(default_factory=list)
    events: list = field(default_factory=list)
    clocks: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    feedback: list = field(default_factory=list)


# -- working time (approximate: Mon–Fri 08:00–17:00 local) --------------------------------

WORK_START, WORK_END = 8 * HOUR, 17 * HOUR
WORK_DAY = WORK_END - WORK_START


def _weekday(local: int) -> int:
    return (local // DAY + 3) % 7  # 1970-01-01 was a Thursday


def next_working(ts: int, offset: int) -> int:
    """The first working moment at or after ``ts`` (UTC seconds)."""
    local = ts + offset
    day = local - local % DAY
    sec = local - day
    while True:
        if _weekday(day) < 5:
            if sec < WORK_START:
                return day + WORK_START - offset
            if sec < WORK_END:
                return day + sec - offset
        day += DAY
        sec = 0


def add_working(ts: int, seconds: int, offset: int) -> int:
    ts = next_working(ts, offset)
    while True:
        local = ts + offset
        left = local - local % DAY + WORK_END - local
        if seconds <= left:
            return ts + seconds
        seconds -= left
        ts = next_working(ts + left + 1, offset)


def end_of_day_after(ts: int, days: int, offset: int, *, working: bool) -> int:
    """Calendar days: end of work of receipt date + N (next working day if off);
    working days: the N-th working day after the day of receipt, at its end."""
    local = ts + offset
    day = local - local % DAY
    if working:
        while days:
            day += DAY
            if _weekday(day) < 5:
                days -= 1
    else:
        day += days * DAY
        while _weekday(day) >= 5:
            day += DAY
    return day + WORK_END - offset


class Clock:
    """A policy as the generator computes it."""

    __slots__ = ("amount", "esc1", "esc2", "id", "unit", "warn")

    def __init__(self, policy: DeadlinePolicy):
        self.id = policy.pk
        self.unit = policy.unit
        self.amount = policy.amount or 0
        self.warn = float(policy.warn_share) if policy.warn_share else None
        self.esc1 = policy.escalation_1_delay
        self.esc2 = policy.escalation_2_delay

    def due(self, start: int, offset: int, explicit: int | None = None) -> int:
        if self.unit == "working_minutes":
            return add_working(start, self.amount * MINUTE, offset)
        if self.unit == "calendar_minutes":
            return start + self.amount * MINUTE
        if self.unit == "working_days":
            return end_of_day_after(start, self.amount, offset, working=True)
        if self.unit == "calendar_days":
            return end_of_day_after(start, self.amount, offset, working=False)
        return explicit if explicit is not None else start + 7 * DAY


# -- reference data -------------------------------------------------------------------------


def ensure_reference_data(municipality_count: int, stdout) -> list[Place]:
    """Municipalities, districts, categories, organisations and demo users from the demo
    seed (idempotent), extra municipalities when more are asked for than it ships, and an
    administrator, a curator and one executor per organisation for every municipality."""
    from cases.management.commands.seed_demo import Command as Seed
    from cases.management.commands.seed_demo import _short
    from mcu.reference_data import MEZHDURECHENSK_ORGANISATIONS, MUNICIPALITIES

    seed = Seed(stdout=stdout)
    with transaction.atomic():
        by_slug = seed.seed_municipalities()
        seed.seed_categories()
        mzh_orgs = seed.seed_organisations(by_slug)
        seed.seed_users(by_slug, mzh_orgs)
        seed.seed_workflow_settings(by_slug)
        slugs = [m[0] for m in MUNICIPALITIES][:municipality_count]
        for n in range(len(MUNICIPALITIES), municipality_count):
            slug = f"gen-{n + 1:03d}"
            mun, _ = Municipality.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": f"Синтетический муниципальный округ № {n + 1}",
                    "region": "Кемеровская область — Кузбасс",
                    "timezone": "Asia/Novokuznetsk",
                    "registration_prefix": f"С{n + 1:03d}",
                },
            )
            for district in ("Центральный", "Северный", "Южный", "Заречный"):
                mun.districts.get_or_create(name=district)
            slugs.append(slug)
        places = []
        for i, slug in enumerate(slugs):
            mun = Municipality.objects.get(slug=slug)
            orgs = []
            for name, kind in MEZHDURECHENSK_ORGANISATIONS:
                if slug != "mezhdurechensk":
                    name = _short(name) or name
                org, _ = Organisation.objects.get_or_create(
                    municipality=mun, name=name, defaults={"kind": kind, "short_name": _short(name)}
                )
                orgs.append(org.pk)
            admin = _user(f"gen-{slug}-admin", Role.ADMINISTRATOR, mun)
            curator = _user(f"gen-{slug}-curator", Role.CURATOR, mun)
            executors = {
                org_id: _user(f"gen-{slug}-exec-{k:02d}", Role.EXECUTOR, mun, org_id)
                for k, org_id in enumerate(orgs)
            }
            places.append(
                Place(
                    id=mun.pk,
                    prefix=mun.registration_prefix or mun.slug[:3].upper(),
                    offset=int(
                        datetime(2026, 1, 1, tzinfo=ZoneInfo(mun.timezone))
                        .utcoffset()
                        .total_seconds()
                    ),
                    districts=list(mun.districts.values_list("pk", flat=True)),
                    orgs=orgs,
                    admin=admin,
                    curator=curator,
                    executors=executors,
                    approval_incident=ApprovalRequirement.objects.filter(
                        municipality=mun, kind=CaseKind.INCIDENT, required=True
                    ).exists(),
                    # The first municipality is the big one; the others smaller and smaller.
                    weight=1.0 / (1 + 0.6 * i),
                )
            )
    return places


def _user(username: str, role: str, mun: Municipality, org_id: int | None = None) -> int:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            role=role,
            municipality=mun,
            organisation_id=org_id,
            last_name="Синтетический",
            first_name=role,
        )
        user.set_unusable_password()
        user.save()
    return user.pk


# -- the simulation of one case -------------------------------------------------------------


class Generator:
    def __init__(self, *, places: list[Place], now: datetime, days: int, seed: int):
        self.rng = random.Random(seed)
        self.places = places
        self.now = int(now.timestamp())
        self.start = self.now - days * DAY
        self.place_cum = _cum([p.weight for p in places])
        self.rules = deadline_rules_active()
        self.policies = {p.pk: Clock(p) for p in DeadlinePolicy.objects.all()}
        self.policy_memo: dict = {}
        self.category_memo: dict = {}
        self.topics = []
        for code, org_index, texts in TOPICS:
            category = Category.objects.filter(code__startswith=code).order_by("-level", "code")
            leaves = list(category.values_list("pk", "level"))
            deepest = [pk for pk, level in leaves if level == leaves[0][1]]
            self.topics.append((code, org_index, texts, deepest))
        self.topic_cum_by_month = {
            m: _cum([SEASONAL_TOPICS.get(t[0], lambda _m: 1.0)(m) for t in self.topics])
            for m in range(1, 13)
        }
        # Days of the window, weighted by season, weekday and a slow growth of the desk.
        first = datetime.fromtimestamp(self.start, UTC).date()
        self.days = [first + timedelta(days=d) for d in range(days + 1)]
        self.day_cum = _cum(
            [
                MONTH_FACTOR[d.month - 1] * WEEKDAY_FACTOR[d.weekday()] * (0.7 + 0.6 * i / days)
                for i, d in enumerate(self.days)
            ]
        )
        self.day_epoch = [
            int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) for d in self.days
        ]
        self.hour_cum = _cum(HOUR_WEIGHTS)
        self.kinds = list(KIND_WEIGHTS)
        self.kind_cum = _cum(list(KIND_WEIGHTS.values()))
        self.stats = {"cases": 0, "events": 0, "clocks": 0, "answers": 0, "feedback": 0}

    def policy(self, place: Place, kind, channel, category_id, fast_track, stage) -> Clock | None:
        key = (place.id, kind, channel, category_id, fast_track, stage)
        if key not in self.policy_memo:
            probe = _Probe(kind, channel, category_id, fast_track, place.id)
            rule = deadline_rule_for(
                case=probe, stage=stage, rules=self.rules, category_memo=self.category_memo
            )
            self.policy_memo[key] = self.policies[rule.policy_id] if rule else None
        return self.policy_memo[key]

    def window_share(self, first_day: int) -> float:
        """The share of all arrivals that falls on days ``first_day`` … the last."""
        before = self.day_cum[first_day - 1] if first_day else 0.0
        return (self.day_cum[-1] - before) / self.day_cum[-1]

    def chunk(
        self, first_id: int, count: int, first_answer_id: int, days: tuple[int, int] | None = None
    ) -> Rows:
        """``count`` cases received on the window's days (``days``: a half-open range of
        day indexes, all of them by default), on its seasonal and weekly rhythm."""
        rng = self.rng
        rows = Rows()
        places = rng.choices(self.places, cum_weights=self.place_cum, k=count)
        lo, hi = days or (0, len(self.days))
        base = self.day_cum[lo - 1] if lo else 0.0
        day_idx = rng.choices(
            range(lo, hi), cum_weights=[c - base for c in self.day_cum[lo:hi]], k=count
        )
        hours = rng.choices(range(24), cum_weights=self.hour_cum, k=count)
        kinds = rng.choices(self.kinds, cum_weights=self.kind_cum, k=count)
        answer_id = first_answer_id
        for n in range(count):
            place = places[n]
            local = self.day_epoch[day_idx[n]] + hours[n] * HOUR + rng.randrange(HOUR)
            received = min(local - place.offset, self.now - rng.randrange(60, 3 * HOUR))
            received = max(received, self.start)
            answer_id = self.case(rows, first_id + n, place, kinds[n], received, answer_id)
        return rows

    def case(self, rows: Rows, pk: int, place: Place, kind, received: int, answer_id: int) -> int:
        rng, now, off = self.rng, self.now, place.offset
        channel = rng.choices(CHANNELS_BY_KIND[kind], weights=CHANNEL_WEIGHTS[kind])[0]
        month = datetime.fromtimestamp(received, UTC).month
        code, org_index, texts, categories = rng.choices(
            self.topics, cum_weights=self.topic_cum_by_month[month]
        )[0]
        category = rng.choice(categories)
        org = place.orgs[org_index]
        executor = place.executors[org]
        street = rng.choice(STREETS)
        address = f"{street}, {rng.randint(1, 60)}"
        text = rng.choice(texts).format(addr=address, num=rng.randint(1, 30))
        fast_track = kind == CaseKind.INCIDENT and rng.random() < 0.03
        message = kind != CaseKind.APPEAL

        # The story before "now" cut: (action, at, from, to, actor, reason).
        steps: list[tuple] = []
        status = CaseStatus.NEW

        def step(action, at, to=None, actor=None, reason="", payload="{}") -> bool:
            nonlocal status
            if at > now:
                return False
            steps.append((action, at, status, to or "", actor, reason, payload))
            if to:
                status = to
            return True

        clocks: list[list] = []  # [stage, policy, started, due, met, cancelled]

        def start(stage, at, explicit=None):
            policy = self.policy(place, kind, channel, category, fast_track, stage)
            if policy is not None and at <= now:
                clocks.append([stage, policy, at, policy.due(at, off, explicit), None, None])

        def finish(stages, at, *, cancel=False):
            for clock in clocks:
                if clock[4] is None and clock[5] is None and (stages is None or clock[0] in stages):
                    clock[5 if cancel else 4] = at

        answers: list[list] = []  # [id, created, status, published, return_reason]
        feedback: list[tuple] = []
        fields = {"registered_at": None, "published_at": None, "closed_at": None}
        satisfaction, repeats, forwarded_to, fast_track_at = None, 0, "", None

        step(EventAction.REGISTER, received, CaseStatus.NEW)
        start(Stage.REGISTER if kind == CaseKind.APPEAL else Stage.ANSWER, received)
        if kind == CaseKind.INCIDENT:
            start(Stage.FIRST_REPLY, received)
        t = received
        speed = 1.0 if message else 20.0  # appeals take days, messages hours
        stuck = rng.random() < 0.08  # the long tail: these end up overdue
        if kind == CaseKind.APPEAL:
            t = add_working(t, _lognormal(rng, 4 * HOUR), off)
            if not step(EventAction.REGISTER_APPEAL, t, None, place.admin):
                return self.emit(rows, locals())
            fields["registered_at"] = t
            finish({Stage.REGISTER}, t)
            start(Stage.ANSWER, t)
            start(Stage.FORWARD, t)
        if fast_track:
            ft = t + rng.randrange(5 * MINUTE, HOUR)
            if step(EventAction.SET_FAST_TRACK, ft, None, place.curator, payload='{"on": true}'):
                fast_track_at = ft
        # Moderation: assign, reject, or (appeals) forward.
        t = add_working(t, _lognormal(rng, 25 * MINUTE * (1 if message else 4)), off)
        roll = rng.random()
        if roll < 0.04:
            if step(
                EventAction.REJECT, t, CaseStatus.REJECTED, place.admin, rng.choice(REJECT_REASONS)
            ):
                finish(None, t, cancel=True)
            return self.emit(rows, locals())
        if kind == CaseKind.APPEAL and roll < 0.10:
            if step(EventAction.FORWARD, t, CaseStatus.FORWARDED, place.admin):
                forwarded_to = "Прокуратура города"
                finish({Stage.FORWARD}, t)
                finish(None, t, cancel=True)
            return self.emit(rows, locals())
        if not step(EventAction.ASSIGN, t, CaseStatus.ASSIGNED, place.admin):
            return self.emit(rows, locals())
        assigned = True  # read by emit through locals()
        start(Stage.REASSIGN_WINDOW, t)
        finish({Stage.FORWARD}, t, cancel=True)
        t = add_working(t, _lognormal(rng, 35 * MINUTE), off)
        if not step(EventAction.ACCEPT, t, CaseStatus.IN_PROGRESS, executor):
            return self.emit(rows, locals())
        finish({Stage.REASSIGN_WINDOW}, t)

        for cycle in range(2):
            t = add_working(t, _lognormal(rng, 4 * HOUR * speed * (8 if stuck else 1)), off)
            # Submitted, maybe returned once and submitted again.
            while True:
                if not step(EventAction.SUBMIT_ANSWER, t, CaseStatus.ON_REVIEW, executor):
                    return self.emit(rows, locals())
                answers.append([answer_id, t, Answer.Status.SUBMITTED, None, ""])
                answer_id += 1
                t = add_working(t, _lognormal(rng, 40 * MINUTE), off)
                if rng.random() < 0.08 and len(answers) < 3:
                    reason = "Нет фотоотчёта о выполненных работах"
                    if not step(EventAction.RETURN, t, CaseStatus.IN_PROGRESS, place.admin, reason):
                        return self.emit(rows, locals())
                    answers[-1][2], answers[-1][4] = Answer.Status.RETURNED, reason
                    t = add_working(t, _lognormal(rng, 3 * HOUR * speed), off)
                    continue
                break
            approval = kind == CaseKind.INCIDENT and place.approval_incident
            to = CaseStatus.ON_APPROVAL if approval else CaseStatus.APPROVED
            if not step(EventAction.APPROVE, t, to, place.admin):
                return self.emit(rows, locals())
            answers[-1][2] = Answer.Status.APPROVED
            if approval:
                t = t + _lognormal(rng, HOUR)
                if not step(EventAction.APPROVE, t, CaseStatus.APPROVED, place.curator):
                    return self.emit(rows, locals())
            t = t + _lognormal(rng, 20 * MINUTE)
            if not step(EventAction.PUBLISH, t, CaseStatus.PUBLISHED, place.admin):
                return self.emit(rows, locals())
            answers[-1][2], answers[-1][3] = Answer.Status.PUBLISHED, t
            fields["published_at"] = t
            finish({Stage.FIRST_REPLY, Stage.ANSWER, Stage.PROMISE}, t)
            if not message:
                return self.emit(rows, locals())  # 59-ФЗ: no reaction wait, no reopening
            published = t
            start(Stage.REACTION, t)
            if rng.random() < 0.35:
                t = published + rng.randrange(HOUR, 2 * DAY - HOUR)
                rating = rng.choices(*RATINGS)[0]
                reopen = rating <= 2 and cycle == 0
                payload = json.dumps({"rating": rating})
                if not step(EventAction.FEEDBACK, t, None, place.admin, payload=payload):
                    return self.emit(rows, locals())
                satisfaction = rating
                feedback.append((answers[-1][0], rating, reopen, t))
                finish({Stage.REACTION}, t)
                if reopen:
                    if not step(EventAction.REOPEN, t, CaseStatus.IN_PROGRESS, None):
                        return self.emit(rows, locals())
                    repeats += 1
                    fields["published_at"] = None
                    start(Stage.ANSWER, t)
                    continue
            t = published + 2 * DAY + rng.randrange(60, 300)
            if step(EventAction.CLOSE, t, CaseStatus.CLOSED, None):
                fields["closed_at"] = t
                finish(None, t)
            return self.emit(rows, locals())
        return self.emit(rows, locals())

    def emit(self, rows: Rows, ctx: dict) -> int:
        """Turn the story of one case into rows (cases, events, clocks, answers, feedback)."""
        pk, place, now, rng = ctx["pk"], ctx["place"], self.now, self.rng
        steps, status, received = ctx["steps"], ctx["status"], ctx["received"]
        dt = _dt_fast
        assigned = "assigned" in ctx
        kind, channel, fields = ctx["kind"], ctx["channel"], ctx["fields"]
        reg = f"{place.prefix}-{dt(received):%y}-{pk:06d}"
        external = f"gen-{pk}"
        text, address = ctx["text"], ctx["address"]
        last = steps[-1][1]
        fast = ctx["fast_track_at"] is not None
        org = ctx["org"] if assigned else None  # the case's; its rows carry it too
        rows.cases.append(
            (
                pk,
                place.id,
                kind,
                channel,
                SOURCE,
                external,
                reg,
                dt(received),
                text,
                f"https://vk.com/wall-{pk % 9000 + 1000}_{pk}" if channel == "vk" else "",
                rng.choice(NAMES),
                f"https://vk.com/id{1000000 + pk}" if channel == "vk" else "",
                "" if kind == CaseKind.INCIDENT else f"+7 913 {pk % 1000:03d}-{pk % 89 + 10}-11",
                address,
                rng.choice(place.districts) if assigned else None,
                ctx["category"] if assigned else None,
                org,
                ctx["executor"] if status not in (CaseStatus.NEW, CaseStatus.ASSIGNED) else None,
                status,
                fast,
                dt(ctx["fast_track_at"]) if fast else None,
                False,
                dt(fields["registered_at"]) if fields["registered_at"] else None,
                ctx["forwarded_to"],
                ctx["satisfaction"],
                ctx["repeats"],
                # What case_search_text would store (these texts have no runs of spaces).
                " ".join((reg, text, address, external)).lower().replace("ё", "е"),
                len(steps) - 1,
                dt(received),
                dt(last),
                dt(fields["published_at"]) if fields["published_at"] else None,
                dt(fields["closed_at"]) if fields["closed_at"] else None,
            )
        )
        for action, at, from_status, to_status, actor, reason, payload in steps:
            rows.events.append((pk, dt(at), actor, action, from_status, to_status, reason, payload))
        for stage, policy, started, due, met, cancelled in ctx["clocks"]:
            end = met or cancelled or now
            breached = due + 40 if due + 40 <= end else None
            warn_at = int(started + (due - started) * policy.warn) if policy.warn else None
            warned = warn_at + 30 if warn_at is not None and warn_at + 30 <= end else None
            esc1 = breached + policy.esc1 * MINUTE if breached and policy.esc1 else None
            esc2 = esc1 + policy.esc2 * MINUTE if esc1 and policy.esc2 else None
            level = (esc1 is not None and esc1 <= end) + (esc2 is not None and esc2 <= end)
            escalated = (esc2 if level == 2 else esc1) if level else None
            rows.clocks.append(
                (
                    pk,
                    stage,
                    policy.id,
                    dt(started),
                    dt(due),
                    dt(warn_at) if warn_at else None,
                    dt(warned) if warned else None,
                    dt(met) if met else None,
                    dt(breached) if breached else None,
                    dt(cancelled) if cancelled else None,
                    0,
                    level,
                    dt(escalated) if escalated else None,
                    dt(esc1) if esc1 else None,
                    dt(esc2) if esc2 else None,
                    dt(started),
                    place.id,
                    org,
                )
            )
        for answer_pk, created, answer_status, published, return_reason in ctx["answers"]:
            rows.answers.append(
                (
                    answer_pk,
                    pk,
                    Answer.Kind.FINAL,
                    answer_status,
                    rng.choice(ANSWERS),
                    None,
                    ctx["executor"],
                    dt(created),
                    return_reason,
                    dt(published) if published else None,
                    place.id,
                    org,
                )
            )
        for answer_pk, rating, reopened, at in ctx["feedback"]:
            comment = "Ничего не сделано!" if reopened else ""
            rows.feedback.append(
                (
                    pk,
                    answer_pk,
                    rating,
                    comment,
                    reopened,
                    False,
                    place.admin,
                    dt(at),
                    place.id,
                    org,
                )
            )
        return ctx["answer_id"]


class _Probe:
    """What ``deadline_rule_for`` reads of a case."""

    __slots__ = ("category_id", "channel", "fast_track", "kind", "municipality_id")

    def __init__(self, kind, channel, category_id, fast_track, municipality_id):
        self.kind, self.channel, self.category_id = kind, channel, category_id
        self.fast_track, self.municipality_id = fast_track, municipality_id


def _cum(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


_FROM_TS = datetime.fromtimestamp


def _dt_fast(ts: int, _from=_FROM_TS, _utc=UTC) -> datetime:
    return _from(ts, _utc)


# -- writing ----------------------------------------------------------------------------------

CASE_COLUMNS = [
    "id", "municipality_id", "kind", "channel", "source", "external_id",
    "registration_number", "received_at", "text", "source_url", "author_name", "author_url",
    "author_contacts", "address", "district_id", "category_id", "organisation_id",
    "assignee_id", "status", "fast_track", "fast_track_at", "fast_track_proposed",
    "registered_at", "forwarded_to", "satisfaction", "repeat_count", "search_text",
    "version", "created_at", "updated_at", "published_at", "closed_at",
]  # fmt: skip
EVENT_COLUMNS = [
    "case_id", "at", "actor_id", "action", "from_status", "to_status", "reason", "payload",
]  # fmt: skip
CLOCK_COLUMNS = [
    "case_id", "stage", "policy_id", "started_at", "due_at", "warn_at", "warned_at", "met_at",
    "breached_at", "cancelled_at", "extension_days", "escalation_level", "escalated_at",
    "escalate_1_at", "escalate_2_at", "created_at", "municipality_id", "organisation_id",
]  # fmt: skip
ANSWER_COLUMNS = [
    "id", "case_id", "kind", "status", "text", "promised_at", "author_id", "created_at",
    "return_reason", "published_at", "municipality_id", "organisation_id",
]  # fmt: skip
FEEDBACK_COLUMNS = [
    "case_id", "answer_id", "rating", "comment", "reopened", "after_window", "recorded_by_id",
    "at", "municipality_id", "organisation_id",
]  # fmt: skip
TABLES = [
    ("cases", Case, CASE_COLUMNS),
    ("answers", Answer, ANSWER_COLUMNS),
    ("events", CaseEvent, EVENT_COLUMNS),
    ("clocks", Deadline, CLOCK_COLUMNS),
    ("feedback", Feedback, FEEDBACK_COLUMNS),
]


def _extra_columns(model, columns: list[str]) -> tuple[list[str], tuple]:
    """Columns added to a model after this generator was written get their default, so a
    new NOT NULL field does not break it."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in columns:
            continue
        value = f.get_default()
        if f.get_internal_type() == "JSONField":
            value = json.dumps(value)
        names.append(f.column)
        values.append(value)
    return names, tuple(values)


def _write_postgresql(rows: Rows) -> None:
    cursor = connection.connection.cursor()
    for attr, model, columns in TABLES:
        extra_names, extra_values = _extra_columns(model, columns)
        cols = ", ".join(f'"{c}"' for c in columns + extra_names)
        with cursor.copy(f'COPY "{model._meta.db_table}" ({cols}) FROM STDIN') as copy:
            write = copy.write_row
            if extra_values:
                for row in getattr(rows, attr):
                    write(row + extra_values)
            else:
                for row in getattr(rows, attr):
                    write(row)


def _write_orm(rows: Rows) -> None:
    for attr, model, columns in TABLES:
        attnames = {f.column: f.attname for f in model._meta.concrete_fields}
        names = [attnames[c] for c in columns]
        json_fields = {
            f.attname for f in model._meta.concrete_fields if f.get_internal_type() == "JSONField"
        }
        objs = []
        for row in getattr(rows, attr):
            values = dict(zip(names, row, strict=True))
            for name in json_fields & values.keys():
                values[name] = json.loads(values[name])
            objs.append(model(**values))
        # auto_now / auto_now_add would overwrite the story's times: set them back.
        model.objects.bulk_create(objs, batch_size=500)
        if model is Case:
            by_pk = {row[0]: (row[28], row[29]) for row in rows.cases}
            for pk, (created, updated) in by_pk.items():
                Case.objects.filter(pk=pk).update(created_at=created, updated_at=updated)


def _reserve_ids(model, count: int) -> int:
    """The first of ``count`` consecutive ids nobody else will take."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
            (seq,) = cur.fetchone()
            cur.execute("SELECT nextval(%s)", [seq])
            (first,) = cur.fetchone()
            cur.execute("SELECT setval(%s, %s)", [seq, first + count])
            return first
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


# Above this many cases PostgreSQL gets the recent days and a pool simulated, the rest
# cloned from the pool in SQL (cases.demo.clone); below it (and on SQLite) every case is
# simulated.
SIMULATE_UP_TO = 60_000
RECENT_DAYS = 14
POOL = 15_000


def generate(
    *,
    count: int,
    municipalities: int,
    seed: int,
    days: int,
    now: datetime,
    stdout,
    progress: Callable[[int, int, float], None] | None = None,
    simulate_up_to: int = SIMULATE_UP_TO,
    pool_size: int = POOL,
) -> dict:
    """Write ``count`` cases with their history; the figures of what was written."""
    from cases.demo import clone

    places = ensure_reference_data(municipalities, stdout)
    gen = Generator(places=places, now=now, days=days, seed=seed)
    postgres = connection.vendor == "postgresql"
    counts = dict.fromkeys(("cases", "events", "clocks", "answers", "feedback"), 0)
    started = time.perf_counter()
    # The simulated parts: (how many, day window); the clones come after them.
    recent_first = max(1, len(gen.days) - RECENT_DAYS)
    if postgres and count > simulate_up_to and recent_first > 1:
        recent = round(count * gen.window_share(recent_first))
        pool = min(pool_size, count - recent)
        parts = [(recent, (recent_first, len(gen.days))), (pool, (0, recent_first))]
    else:
        parts = [(count, None)]
    simulated = sum(n for n, _ in parts)
    tables = [model._meta.db_table for _attr, model, _columns in TABLES]
    with transaction.atomic():
        indexes = []
        if postgres:
            with connection.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit TO off")
                cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                if cur.fetchone()[0]:
                    # The rows are consistent by construction: skip the foreign-key
                    # triggers (millions of deferred checks at commit).
                    cur.execute("SET LOCAL session_replication_role = replica")
                if count > simulate_up_to:
                    indexes = clone.drop_secondary_indexes(cur, tables)
        first_case = _reserve_ids(Case, count)
        # At most three answers per cycle, two cycles: six per case is a safe bound.
        first_answer = _reserve_ids(Answer, count * clone.ANSWERS_PER_CASE)
        next_answer = first_answer
        done = 0
        pool_ids = (0, 0)
        for n_part, window in parts:
            part_first = first_case + done
            part_done = 0
            while part_done < n_part:
                n = min(CHUNK, n_part - part_done)
                rows = gen.chunk(first_case + done, n, next_answer, window)
                next_answer += len(rows.answers)
                (_write_postgresql if postgres else _write_orm)(rows)
                for attr in counts:
                    counts[attr] += len(getattr(rows, attr))
                done += n
                part_done += n
                if progress:
                    progress(done, count, time.perf_counter() - started)
            pool_ids = (part_first, part_first + n_part - 1)
        phases = {"simulated": time.perf_counter() - started}
        if simulated < count:
            with connection.cursor() as cur:
                written = clone.clone(
                    cur,
                    pool=pool_ids,
                    first_id=first_case + simulated,
                    count=count - simulated,
                    # The clones' answers are numbered after the simulated ones.
                    first_answer_id=next_answer,
                    start=gen.start,
                    recent_start=gen.day_epoch[recent_first],
                    now=gen.now,
                    seed=seed,
                    progress=progress
                    and (lambda n: progress(simulated + n, count, time.perf_counter() - started)),
                )
            for attr, n in written.items():
                counts[attr] += n
        phases["cloned"] = time.perf_counter() - started - sum(phases.values())
        # The answers' working times on the production calendar (the clones moved by whole
        # weeks may have crossed a holiday): what publication records (cases.copies).
        answer_times_fill(Answer, Municipality)
        phases["answer times"] = time.perf_counter() - started - sum(phases.values())
        # Which cases have a breach on record: a semi-join, cheaper before the indexes
        # of the cases are built than an update of every one of them after.
        deadline_services.cases_breach_marks_refresh_all()
        phases["breach marks"] = time.perf_counter() - started - sum(phases.values())
        if indexes:
            if stdout:
                stdout.write(f"\nИндексы: {len(indexes)} строятся заново…")
            with connection.cursor() as cur:
                clone.create_indexes(cur, indexes)
        if postgres:
            with connection.cursor() as cur:
                for model in (Case, Answer):
                    table = model._meta.db_table
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"GREATEST((SELECT max(id) FROM {table}), 1))"
                    )
        phases["indexes"] = time.perf_counter() - started - sum(phases.values())
        # The stories' running clocks were written as rows: their nearest term too.
        deadline_services.cases_next_due_refresh_all(breach_marks=False)
        phases["next due"] = time.perf_counter() - started - sum(phases.values())
    if postgres and not connection.in_atomic_block:
        # Fresh statistics and visibility map, so the planner and index-only scans see the
        # new rows at once (VACUUM cannot run inside a transaction: not in tests).
        with connection.cursor() as cur:
            for _attr, model, _columns in TABLES:
                cur.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
        phases["vacuum analyze"] = time.perf_counter() - started - sum(phases.values())
    counts["seconds"] = round(time.perf_counter() - started, 1)
    counts["simulated"] = simulated
    counts["phases"] = {what: round(seconds, 1) for what, seconds in phases.items()}
    return counts


def terminal_progress(stream=None) -> Callable[[int, int, float], None]:
    """A plain ``\\r`` progress line: done, share, rate and time left."""
    stream = stream or sys.stderr

    def report(done: int, total: int, elapsed: float) -> None:
        rate = done / elapsed if elapsed else 0
        left = (total - done) / rate if rate else 0
        width = 30
        filled = int(width * done / total)
        bar = "█" * filled + "·" * (width - filled)
        stream.write(
            f"\r{bar} {done:>10,}/{total:,} ({100 * done / total:5.1f} %) "
            f"{rate:,.0f}/s, осталось ~{left:,.0f} с "
        )
        if done >= total:
            stream.write("\n")
        stream.flush()

    return report
