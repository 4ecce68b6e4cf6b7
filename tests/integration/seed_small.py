"""A small desk for the integration tests that run it as a server: ``python -m
tests.integration.seed_small`` (after ``migrate``) writes one municipality of the region and
one of another, an organisation in each, a user per role, a token for the API users and a
few cases in several states, all through the desk's own services. It prints JSON: the
tokens by user name and the cases' ids and numbers. Idempotent enough to run once per
fresh database, which is how the tests use it.
"""

from __future__ import annotations

import json

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases import services  # noqa: E402
from channels.services import ingest_item  # noqa: E402
from mcu.choices import Role  # noqa: E402
from mcu.models import Category, Municipality, Organisation, User  # noqa: E402

PASSWORD = "pw"
API_USERS = ("integration", "administrator", "curator", "executor", "observer")


def issue_token(user) -> str:
    """The one place a test server's API token is made (the token model may change)."""
    from mcu.tokens import api_token_create

    return api_token_create(user=user, name="test")[1]


def main() -> dict:
    with transaction.atomic():
        mun = Municipality.objects.create(
            slug="mzh",
            name="Междуреченск",
            region="Кузбасс",
            timezone="Asia/Novokuznetsk",
            registration_prefix="МЖ",
        )
        other = Municipality.objects.create(
            slug="srt",
            name="Саратов",
            region="Саратовская",
            timezone="Europe/Saratov",
            registration_prefix="СР",
        )
        org = Organisation.objects.create(municipality=mun, name="Отдел ЖКХ", kind="department")
        Organisation.objects.create(municipality=other, name="Саратов ЖКХ", kind="department")
        category = Category.objects.create(code="roads", name="Дороги")
        users = {}
        for username, role, extra in (
            ("curator", Role.CURATOR, {}),
            ("head", Role.HEAD, {}),
            ("administrator", Role.ADMINISTRATOR, {}),
            ("executor", Role.EXECUTOR, {"organisation": org}),
            ("observer", Role.OBSERVER, {"region": "Кузбасс", "municipality": None}),
            ("integration", Role.INTEGRATION, {}),
        ):
            fields = {"role": role, "municipality": mun, **extra}
            user = User(username=username, first_name="Иван", last_name=username, **fields)
            user.email = f"{username}@example.org"
            user.set_password(PASSWORD)
            user.save()
            users[username] = user
        tokens = {name: issue_token(users[name]) for name in API_USERS}
        # An Open311 client's key (scope «open311»): the contract test's third pass.
        from mcu.models import ApiTokenScope
        from mcu.tokens import api_token_create

        tokens["open311"] = api_token_create(
            user=users["integration"], name="open311", scope=ApiTokenScope.OPEN311
        )[1]

    now = timezone.now()
    cases = []
    for i in range(6):
        result = ingest_item(
            actor=users["integration"],
            data={
                "channel": "vk",
                "source": "seed",
                "external_id": f"seed-{i}",
                "received_at": now,
                "text": f"Яма на дороге у дома {i}",
                "author": {"name": f"Пётр Жителев-{i}", "profile_url": f"https://vk.com/id{i}"},
                "url": f"https://vk.com/wall-1_{i}" if i % 2 else "",
            },
        )
        cases.append(result.case)
    for case in cases[2:]:
        services.case_assign(
            case.pk, actor=users["administrator"], organisation=org, category=category
        )
    for case in cases[4:]:
        services.case_accept(case.pk, actor=users["executor"])
    return {
        "tokens": tokens,
        "cases": [{"id": c.pk, "number": c.registration_number} for c in cases],
        "organisation": org.pk,
        "category": category.pk,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
