"""The test personas and reference data, built once per test database.

``reference_data_ensure()`` runs in ``django_db_setup`` (tests/conftest.py), once per
pytest-xdist worker database, and again after a transactional test has flushed the tables.
It is idempotent in the get-or-create style: a database kept by ``--reuse-db`` is brought to
what this file says, never duplicated. Every test then rolls back to that state.

``World.load()`` re-reads the personas by slug, name and username (three queries), so a
test that changes a persona in memory or in the database never leaks into the next one.
"""

from __future__ import annotations

import datetime as dt

from mcu.choices import Role

PASSWORD = "pw"

MUNICIPALITIES = {
    # attribute: (slug, name, zone, region, registration prefix)
    "mun": ("mzh", "Междуреченск", "Asia/Novokuznetsk", "Кузбасс", "МЖ"),
    "mun_same_region": ("nvk", "Новокузнецк", "Asia/Novokuznetsk", "Кузбасс", "НК"),
    "mun_other": ("srt", "Саратов", "Europe/Saratov", "Саратовская", "СР"),
}

ORGANISATIONS = {
    # attribute: (municipality attribute, name)
    "org": ("mun", "Отдел ЖКХ"),
    "org2": ("mun", "Водоканал"),
    "org_other": ("mun_other", "Саратов ЖКХ"),
}

USERS = {
    # username: (role, municipality attribute or None, organisation attribute or None, extra)
    "curator": (Role.CURATOR, "mun", None, {}),
    "head": (Role.HEAD, "mun", None, {}),
    "administrator": (Role.ADMINISTRATOR, "mun", None, {}),
    "admin_incidents": (Role.ADMINISTRATOR, "mun", None, {"kinds": ["incident"]}),
    "executor": (Role.EXECUTOR, "mun", "org", {}),
    "executor_other": (Role.EXECUTOR, "mun", "org2", {}),
    "observer": (Role.OBSERVER, None, None, {"region": "Кузбасс"}),
    "integration": (Role.INTEGRATION, "mun", None, {}),
    "curator_other": (Role.CURATOR, "mun_other", None, {}),
    "norole": ("", "mun", None, {}),
}

# Rows of CalendarDay that only the tests add, for years the shipped calendar lacks.
TEST_CALENDAR_NOTE = "Тестовый календарь: праздники ТК РФ ст. 112, без переносов"


class World:
    """Two municipalities of one region and one of another, a persona for every role.

    ``world.users["executor"]`` belongs to ``world.org``; ``executor_other`` to ``org2``.
    """

    mun: object
    mun_same_region: object
    mun_other: object
    org: object
    org2: object
    org_other: object
    users: dict

    @classmethod
    def load(cls) -> World | None:
        """The personas from the database, or None when they are not (all) there."""
        from mcu.models import Municipality, Organisation, User

        world = cls()
        slugs = {spec[0]: attr for attr, spec in MUNICIPALITIES.items()}
        muns = Municipality.objects.in_bulk(list(slugs), field_name="slug")
        if len(muns) != len(slugs):
            return None
        for slug, attr in slugs.items():
            setattr(world, attr, muns[slug])
        by_pk = {m.pk: m for m in muns.values()}
        orgs = {
            (o.municipality_id, o.name): o
            for o in Organisation.objects.filter(
                municipality__in=list(by_pk), name__in=[n for _, n in ORGANISATIONS.values()]
            )
        }
        for attr, (mun_attr, name) in ORGANISATIONS.items():
            org = orgs.get((getattr(world, mun_attr).pk, name))
            if org is None:
                return None
            org.municipality = by_pk[org.municipality_id]
            setattr(world, attr, org)
        orgs_by_pk = {o.pk: o for o in orgs.values()}
        users = User.objects.in_bulk(list(USERS), field_name="username")
        if len(users) != len(USERS):
            return None
        for user in users.values():
            # The same objects as world.mun and world.org: no query when a test reads them.
            user.municipality = by_pk.get(user.municipality_id)
            user.organisation = orgs_by_pk.get(user.organisation_id)
        world.users = {name: users[name] for name in USERS}
        return world


def _world_ensure() -> None:
    from mcu.models import Municipality, Organisation, User

    muns = {}
    for attr, (slug, name, zone, region, prefix) in MUNICIPALITIES.items():
        muns[attr], _ = Municipality.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "timezone": zone,
                "region": region,
                "registration_prefix": prefix,
            },
        )
    orgs = {}
    for attr, (mun_attr, name) in ORGANISATIONS.items():
        orgs[attr], _ = Organisation.objects.update_or_create(
            municipality=muns[mun_attr], name=name, defaults={"kind": "department"}
        )
    for username, (role, mun_attr, org_attr, extra) in USERS.items():
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": "Иван",
                "last_name": f"Тестов-{username}",
                "email": f"{username}@example.org",
                "role": role,
                "municipality": muns[mun_attr] if mun_attr else None,
                "organisation": orgs[org_attr] if org_attr else None,
                "is_organisation_head": False,
                "is_active": True,
                "is_staff": False,
                "is_superuser": False,
                "telegram_chat_id": "",
                "kinds": extra.get("kinds", []),
                "region": extra.get("region", ""),
            },
        )
        if not user.check_password(PASSWORD):
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])


def _calendar_around_today_ensure() -> None:
    """Years around today's date (shifted or not) that the shipped production calendar
    lacks get the Labour Code's fixed holidays (ТК РФ ст. 112, from ``holidays``), so a test
    may start a clock "now" in any year. The application still refuses a year without rows;
    these rows exist only in the test database, marked by their note."""
    import holidays

    from deadlines.choices import CalendarDayKind
    from deadlines.defaults import calendar_rows
    from deadlines.models import CalendarDay

    shipped = {row["year"] for row in calendar_rows()}
    today = dt.date.today()
    wanted = sorted(y for y in range(today.year - 1, today.year + 2) if y not in shipped)
    CalendarDay.objects.filter(note=TEST_CALENDAR_NOTE).exclude(year__in=wanted).delete()
    if not wanted:
        return
    have = set(CalendarDay.objects.filter(year__in=wanted).values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(
                date=day, year=day.year, kind=CalendarDayKind.DAY_OFF, note=TEST_CALENDAR_NOTE
            )
            for day in sorted(holidays.country_holidays("RU", years=wanted))
            if day not in have
        ]
    )


def reference_data_ensure() -> None:
    """The shipped policies, rules, schedule and calendar, the calendar of the years around
    today, and the personas: whatever of it is missing (idempotent)."""
    from django.db import transaction

    from deadlines.calendars import calendars_invalidate
    from deadlines.services import deadline_defaults_load, production_calendar_load

    with transaction.atomic():
        deadline_defaults_load()
        production_calendar_load()
        _calendar_around_today_ensure()
        _world_ensure()
    calendars_invalidate()
