"""``manage.py seed_demo``: municipalities, categories, organisations, demo users and a few
hundred realistic cases. Idempotent: a second run changes nothing."""

import random
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from cases.choices import CHANNELS_BY_KIND, CaseKind, Channel
from cases.demo import workflow as demo_workflow
from cases.demo.texts import ANSWER_TEMPLATES, NAMES, STREETS, TOPICS
from cases.models import AnswerTemplate, ApprovalRequirement, Case
from cases.services import case_register
from deadlines.services import deadline_municipal_rules_load
from deadlines.sweep import deadlines_sweep
from mcu.choices import Role
from mcu.models import (
    ApiTokenScope,
    Category,
    District,
    Municipality,
    Notification,
    Organisation,
    User,
)
from mcu.reference_data import CATEGORY_TREE, MEZHDURECHENSK_ORGANISATIONS, MUNICIPALITIES
from mcu.tokens import api_token_create

DEMO_SOURCE = "demo"
CASES_PER_EXECUTOR_STATUS = 3
RANDOM_CASES = 260
EXECUTOR_ORG = 2  # «Отдел координации городского хозяйства»
EXECUTOR2_ORG = 16  # МУП «Междуреченский водоканал»
OTHER_MUNICIPALITY_CASES = 25
DEMO_UNREAD_NOTICES = 8  # per person, after seeding
#: the head's «причина и предлагаемое решение» of last week's first TOP problem
DEMO_CAUSE = (
    "Износ сетей и покрытия после зимы; график ремонтов согласован с подрядчиком, "
    "контроль исполнения — еженедельно на планёрке."
)


def _short(name: str) -> str:
    """«Отдел … администрации Междуреченского городского округа» → «Отдел …» for lists."""
    for tail in (
        " администрации Междуреченского городского округа",
        " Междуреченского городского округа",
    ):
        if name.endswith(tail):
            return name[: -len(tail)]
    return ""


class Command(BaseCommand):
    help = "Заполняет систему демонстрационными данными (повторный запуск ничего не меняет)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="не печатать логины")

    def handle(self, *args, quiet=False, **options):
        if settings.DJANGO_ENV == "production":
            # Demo residents and a known password have no place on a real desk.
            raise CommandError("seed_demo не запускается в рабочей среде (DJANGO_ENV=production).")
        with transaction.atomic():
            municipalities = self.seed_municipalities()
            self.seed_categories()
            orgs = self.seed_organisations(municipalities)
            users = self.seed_users(municipalities, orgs)
            self.seed_workflow_settings(municipalities)
        created = self.seed_cases(municipalities, orgs, users)
        if not quiet:
            self.print_logins(users, created)

    # Reference data ---------------------------------------------------------------------
    def seed_municipalities(self) -> dict[str, Municipality]:
        result = {}
        for slug, name, region, tz, prefix, districts in MUNICIPALITIES:
            mun, _ = Municipality.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "region": region,
                    "timezone": tz,
                    "registration_prefix": prefix,
                },
            )
            for district in districts:
                District.objects.get_or_create(municipality=mun, name=district)
            # Мещовск, прил. 2: the 90-minute comment rule is that municipality's own.
            deadline_municipal_rules_load(municipality=mun)
            result[slug] = mun
        return result

    def seed_categories(self) -> None:
        for s_order, (code, name, categories) in enumerate(CATEGORY_TREE):
            sector, _ = Category.objects.get_or_create(
                code=code, defaults={"name": name, "sort_order": s_order}
            )
            for c_order, (c_code, c_name, subs) in enumerate(categories):
                cat, _ = Category.objects.get_or_create(
                    code=c_code, defaults={"name": c_name, "parent": sector, "sort_order": c_order}
                )
                for sub_order, sub_name in enumerate(subs):
                    Category.objects.get_or_create(
                        code=f"{c_code}-{sub_order + 1}",
                        defaults={"name": sub_name, "parent": cat, "sort_order": sub_order},
                    )

    def seed_organisations(self, municipalities) -> list[Organisation]:
        mzh = municipalities["mezhdurechensk"]
        orgs = []
        for name, kind in MEZHDURECHENSK_ORGANISATIONS:
            org, _ = Organisation.objects.get_or_create(
                municipality=mzh, name=name, defaults={"kind": kind, "short_name": _short(name)}
            )
            orgs.append(org)
        for org_name in (
            "Комитет дорожного хозяйства, благоустройства и транспорта",
            "МУПП «Саратовводоканал»",
        ):
            Organisation.objects.get_or_create(
                municipality=municipalities["saratov"],
                name=org_name,
                defaults={"kind": "department"},
            )
        return orgs

    def seed_users(self, municipalities, orgs) -> dict[str, User]:
        mzh = municipalities["mezhdurechensk"]
        specs = {
            "curator": dict(role=Role.CURATOR, last_name="Кураторова", first_name="Вера"),
            "head": dict(role=Role.HEAD, last_name="Начальников", first_name="Олег", is_staff=True),
            "administrator": dict(
                role=Role.ADMINISTRATOR, last_name="Модераторова", first_name="Алина"
            ),
            "executor": dict(
                role=Role.EXECUTOR,
                last_name="Исполнителев",
                first_name="Пётр",
                organisation=orgs[EXECUTOR_ORG],
            ),
            "executor2": dict(
                role=Role.EXECUTOR,
                last_name="Водопроводова",
                first_name="Светлана",
                organisation=orgs[EXECUTOR2_ORG],
                is_organisation_head=True,
            ),
            "observer": dict(
                role=Role.OBSERVER,
                last_name="Наблюдателев",
                first_name="Игорь",
                region=mzh.region,
                municipality=None,
            ),
            "integration": dict(
                role=Role.INTEGRATION, last_name="Инцидент Менеджмент", first_name="Интеграция"
            ),
            # An Open311 client (a city portal) filing reports through /open311/v2/.
            "open311": dict(
                role=Role.INTEGRATION, last_name="Городской портал", first_name="Open311"
            ),
        }
        users = {}
        for username, spec in specs.items():
            spec = {"municipality": mzh, "email": f"{username}@example.org", **spec}
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, **spec)
                user.set_password(settings.DEMO_PASSWORD)
                user.full_clean()
                user.save()
            users[username] = user
        self.keys = {
            "integration": self.seed_key(users["integration"], ApiTokenScope.API),
            "open311": self.seed_key(users["open311"], ApiTokenScope.OPEN311),
        }
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.org", settings.DEMO_PASSWORD)
        return users

    def seed_key(self, user, scope) -> str:
        """The account's API key: a new one, shown once (only its digest is kept), or the
        beginning of the one issued by an earlier run."""
        for token in user.api_tokens.filter(scope=scope):
            if token.is_valid():
                return f"{token.prefix}… (показан при выпуске; новый — на странице «Интеграции»)"
        _token, key = api_token_create(user=user, name="Демо", scope=scope)
        return key

    # Workflow settings ------------------------------------------------------------------
    def seed_workflow_settings(self, municipalities) -> None:
        # Междуреченск 3.6: answers to incidents go to the curators «на согласование».
        ApprovalRequirement.objects.get_or_create(
            municipality=municipalities["mezhdurechensk"],
            kind=CaseKind.INCIDENT,
            defaults={"required": True},
        )
        for code, title, text in ANSWER_TEMPLATES:
            category = Category.objects.filter(code=code).first()
            if category is not None:
                AnswerTemplate.objects.get_or_create(
                    category=category,
                    municipality=None,
                    title=title,
                    defaults={"text": text},
                )

    # Cases ------------------------------------------------------------------------------
    def seed_cases(self, municipalities, orgs, users) -> int:
        if Case.objects.filter(source=DEMO_SOURCE).exists():
            return 0
        rng = random.Random(20261122)
        mzh = municipalities["mezhdurechensk"]
        districts = list(mzh.districts.all())
        now = timezone.now()
        plan: list[tuple[str, int | None]] = []
        # Both executors' organisations in every status.
        for org_index in (EXECUTOR_ORG, EXECUTOR2_ORG):
            for status in demo_workflow.REACHABLE_STATUSES:
                plan.extend([(status, org_index)] * CASES_PER_EXECUTOR_STATUS)
        plan.extend([("new", None)] * 12)  # waiting for moderation
        for _ in range(RANDOM_CASES):
            plan.append((rng.choice(demo_workflow.WEIGHTED_STATUSES), None))

        created = 0
        for n, (status, org_index) in enumerate(plan, start=1):
            code, topic_org, texts = rng.choice(
                [t for t in TOPICS if org_index is None or t[1] == org_index] or TOPICS
            )
            org = orgs[org_index if org_index is not None else topic_org]
            kind = rng.choices(list(CaseKind.values), weights=[70, 15, 10, 5])[0]
            if status == "on_approval":
                # Only incidents need the curator's approval in the demo (Междуреченск 3.6).
                kind = CaseKind.INCIDENT
            # Open311 reports come through the API only, with their client.
            channel = rng.choice([c for c in CHANNELS_BY_KIND[kind] if c != Channel.OPEN311])
            street = rng.choice(STREETS)
            addr = f"{street}, {rng.randint(1, 60)}"
            text = rng.choice(texts).format(addr=addr, num=rng.randint(1, 30))
            received = now - timedelta(minutes=rng.randint(30, 60 * 24 * 45))
            if status == "new":
                received = now - timedelta(minutes=rng.randint(5, 600))
            category = Category.objects.filter(code__startswith=code).order_by("-level").first()
            # Registered at the moment of receipt, so the timeline reads in order.
            with transaction.atomic():
                case = case_register(
                    municipality=mzh,
                    kind=kind,
                    channel=channel,
                    text=text,
                    received_at=received,
                    at=received,
                    source=DEMO_SOURCE,
                    external_id=f"demo-{n:04d}",
                    author_name=rng.choice(NAMES),
                    address=addr,
                    author_url=f"https://vk.com/id{rng.randint(10**6, 10**8)}"
                    if channel == "vk"
                    else "",
                    author_contacts=f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-"
                    f"{rng.randint(10, 99)}-{rng.randint(10, 99)}"
                    if kind != "incident"
                    else "",
                    source_url=f"https://vk.com/wall-{rng.randint(1000, 9999)}_{n}"
                    if channel == "vk"
                    else "",
                )
                demo_workflow.advance(
                    case,
                    status,
                    users=users,
                    organisation=org,
                    category=category,
                    district=rng.choice(districts),
                    rng=rng,
                )
            created += 1
        created += self.seed_other_municipality(municipalities["saratov"], rng, now)
        self.seed_notes(municipalities["mezhdurechensk"], users, now)
        self.settle_notices(now)
        return created

    def seed_notes(self, mun, users, now) -> None:
        """The weekly analytic notes a curator finds on a desk in use (Ставрополь 3 п. 1:
        «еженедельной аналитической записки»): last week's, with the head's causes of its
        first TOP problem, approved by the curator; this week's a draft to be read. Built
        by the analytics services over the demo cases, as beat builds them."""
        from analytics import services as notes

        today = now.astimezone(mun.zone).date()
        weeks = [today - timedelta(days=7), today]
        for day, approve in zip(weeks, (True, False), strict=True):
            year, week, _weekday = day.isocalendar()
            note, _created = notes.note_create(
                municipality=mun, kind="weekly", period=f"{year}-W{week:02d}", now=now
            )
            top = note.content.get("top") or []
            if not approve or note.status != "draft":
                continue
            if top:
                notes.note_set_causes(
                    pk=note.pk,
                    actor=users["head"],
                    causes={str(top[0]["category"]): DEMO_CAUSE},
                    now=now,
                )
            notes.note_approve(pk=note.pk, actor=users["curator"], now=now)

    def settle_notices(self, now) -> None:
        """A new demo desk starts settled: the sweep has marked what was already overdue,
        and the notices about the invented history stay in the desk without being mailed
        to the demo addresses (a first sweep would otherwise send hundreds of e-mails)."""
        deadlines_sweep(now=now)
        pending = Notification.Status.PENDING
        Notification.objects.filter(email_status=pending).update(email_status="")
        Notification.objects.filter(telegram_status=pending).update(telegram_status="")
        # A desk in use has read most of its past: each person keeps the newest notices
        # unread, not hundreds about the invented history.
        for user_id in Notification.objects.values_list("recipient_id", flat=True).distinct():
            keep = Notification.objects.filter(recipient_id=user_id).order_by("-id")
            newest = list(keep.values_list("pk", flat=True)[:DEMO_UNREAD_NOTICES])
            keep.exclude(pk__in=newest).filter(read_at__isnull=True).update(read_at=now)

    def seed_other_municipality(self, mun, rng, now) -> int:
        """A few cases elsewhere, so that scoping is visible in the demo."""
        for n in range(OTHER_MUNICIPALITY_CASES):
            _code, _org, texts = rng.choice(TOPICS)
            received = now - timedelta(hours=rng.randint(1, 300))
            case_register(
                municipality=mun,
                kind=CaseKind.INCIDENT,
                channel="vk",
                text=rng.choice(texts).format(addr="ул. Московская, 1", num=5),
                received_at=received,
                at=received,
                source=DEMO_SOURCE,
                external_id=f"demo-srt-{n:03d}",
            )
        return OTHER_MUNICIPALITY_CASES

    def print_logins(self, users, created: int) -> None:
        w = self.stdout.write
        w(self.style.SUCCESS(f"Демо-данные готовы (новых сообщений: {created})."))
        w(f"Пароль всех демо-пользователей: {settings.DEMO_PASSWORD}")
        rows = [
            ("curator", "куратор"),
            ("head", "руководитель МЦУ (и админка)"),
            ("administrator", "администратор МЦУ"),
            ("executor", f"исполнитель — {users['executor'].organisation.name}"),
            ("executor2", f"исполнитель — {users['executor2'].organisation.name}"),
            ("observer", "наблюдатель ЦУР (Кузбасс)"),
            ("integration", f"API-интеграция, ключ {self.keys['integration']}"),
            ("open311", f"клиент Open311, api_key {self.keys['open311']}"),
            ("admin", "суперпользователь (админка)"),
        ]
        for username, what in rows:
            w(f"  {username:<14} {what}")
