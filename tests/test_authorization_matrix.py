"""One authorization matrix: every page and API endpoint × every role × a case of the own
organisation, of another organisation of the own municipality, and of another municipality
(issue 12, «Access and personal data»; 152-ФЗ ст. 7: personal data only to those who need
it for their work).

For each cell the exact status is asserted, and every answer is searched for the case
numbers, residents' names and phones the user may not see: a case outside the role's scope
must not appear at all (not even its number), and a resident's name or phone only for the
roles that work with residents (``cases.permissions.PERSONAL_DATA_ROLES``).

The URLs come from the URL resolver: a URL name missing from ``MATRIX`` fails
``test_every_url_is_in_the_matrix``, so a new page or endpoint cannot be forgotten. To add
one: a row ``"<url name>": Row(roles(...), ...)`` with the status of each role — a number,
or for a URL of one case ``(own organisation, other organisation, other municipality)``.
Pages are asked with a session, the API with each persona's token. The data is built once
for the module (a transaction rolled back at its end); each cell rolls back its own changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from mcu.choices import Role

ROLES = (
    "curator",
    "head",
    "administrator",
    "executor",
    "org_head",
    "observer",
    "integration",
    "anonymous",
)
# Where the case of a case URL lives, seen from the personas of world.mun and world.org.
TARGETS = ("own", "other_org", "other_mun")
# The module's cases each role may see ("unassigned": own municipality, no organisation).
SCOPE = {
    "curator": {"own", "other_org", "unassigned"},
    "head": {"own", "other_org", "unassigned"},
    "administrator": {"own", "other_org", "unassigned"},
    "executor": {"own"},
    "org_head": {"own"},
    "observer": {"own", "other_org", "unassigned"},  # the region, read-only
    "integration": {"own", "other_org", "unassigned"},
    "anonymous": set(),
}
# Roles that see residents' names and contacts (cases.permissions.PERSONAL_DATA_ROLES).
PERSONAL = {"curator", "head", "administrator", "executor", "org_head"}

# Django's admin has its own staff check: one row for its index stands for it.
WHOLE_NAMESPACES = {"admin"}


def every(status, **but) -> dict:
    """``status`` for every role but those named: ``every(200, anonymous=302)``."""
    assert set(but) <= set(ROLES), set(but) - set(ROLES)
    return {role: but.get(role, status) for role in ROLES}


@dataclass(frozen=True)
class Row:
    """What each role gets from a URL, and how it is asked."""

    expect: dict
    method: str = "get"
    kwargs: dict = field(default_factory=dict)
    data: dict | None = None
    api: bool = False


CASE = {"pk": 0}  # the pk is the target case's
# An API action with an empty body: scope (404) and role (403) come before the body (400)
# and the state (409).
ACTION = {"api": True, "kwargs": CASE, "method": "post", "data": {}}

# An object that is not there (a note, an import job, a cluster, a key, a notice): nobody
# gets it, and nobody learns more than «not found» or «not allowed».
MISSING = {"object_pk": 10**9}

MATRIX: dict[str, Row] = {
    "analytics:notes": Row(every(200, anonymous=302, executor=403, integration=403, org_head=403)),
    "analytics:quarter": Row(every(200, anonymous=302, integration=403)),
    "analytics:summary": Row(every(200, anonymous=302, integration=403)),
    "analytics:note": Row(every(404, anonymous=302), kwargs=MISSING),
    "analytics:note-approve": Row(every(404, anonymous=302), kwargs=MISSING, method="post"),
    "analytics:note-causes": Row(every(404, anonymous=302), kwargs=MISSING, method="post"),
    "analytics:note-publish": Row(every(404, anonymous=302), kwargs=MISSING, method="post"),
    "analytics:note-revise": Row(every(404, anonymous=302), kwargs=MISSING, method="post"),
    "analytics:note-download": Row(every(404, anonymous=302), kwargs={**MISSING, "fmt": "pdf"}),
    "channels:imports": Row(every(403, administrator=200, anonymous=302, head=200)),
    "channels:import-job": Row(
        every(403, administrator=404, anonymous=302, head=404), kwargs=MISSING
    ),
    "channels:import-progress": Row(
        every(403, administrator=404, anonymous=302, head=404), kwargs=MISSING
    ),
    "channels:import-report": Row(
        every(403, administrator=404, anonymous=302, head=404), kwargs={**MISSING, "fmt": "csv"}
    ),
    "channels:cluster-add": Row(every(302), method="post"),
    "channels:cluster-answer": Row(every(302), kwargs=MISSING, method="post"),
    "channels:cluster-confirm": Row(every(302), kwargs=MISSING, method="post"),
    "channels:cluster-remove": Row(every(302), kwargs=MISSING, method="post"),
    "integrations": Row(every(403, anonymous=302, head=200)),
    "integration-token-issue": Row(every(403, anonymous=302, head=400), method="post"),
    "integration-token-revoke": Row(
        every(403, anonymous=302, head=404), kwargs=MISSING, method="post"
    ),
    "integration-token-rotate": Row(
        every(403, anonymous=302, head=404), kwargs=MISSING, method="post"
    ),
    "notifications-bell": Row(every(200, anonymous=302)),
    "notifications-open": Row(every(302), kwargs=MISSING),
    "open311:services": Row(every(403), api=True),
    "open311:service": Row(every(403), kwargs={"service_code": "roads-repair"}, api=True),
    "open311:requests": Row(every(403), api=True),
    "open311:request": Row(every(403), kwargs={"service_request_id": "1"}, api=True),
    "home": Row(every(302)),
    "healthz": Row(every(200)),
    "favicon": Row(every(301)),
    "login": Row(every(302, anonymous=200)),
    "logout": Row(every(302), method="post"),
    "password_change": Row(every(200, anonymous=302)),
    "password_change_done": Row(every(200, anonymous=302)),
    "notifications": Row(every(200, anonymous=302)),
    "notifications-read": Row(every(302), method="post"),
    "cases:list": Row(every(200, anonymous=302)),
    "cases:export": Row(every(200, anonymous=302), kwargs={"fmt": "csv"}),
    # Without ``per_page`` nothing is kept: 400 naming the field.
    "cases:list-settings": Row(every(400, anonymous=302), method="post"),
    # Without ``since`` the poll is refused, naming the field.
    "cases:new-count": Row(every(400, anonymous=302)),
    # Without a name nothing is saved: back to the list with the message.
    "cases:view-save": Row(every(302), method="post"),
    "cases:view-delete": Row(every(404, anonymous=302), kwargs={"pk": 10**9}, method="post"),
    "cases:bulk-assign": Row(every(403, head=302, administrator=302, anonymous=302), method="post"),
    "cases:bulk-reject": Row(every(403, head=302, administrator=302, anonymous=302), method="post"),
    "cases:bulk-category": Row(
        every(403, head=302, administrator=302, anonymous=302), method="post"
    ),
    "cases:new": Row(every(403, head=200, administrator=200, anonymous=302)),
    "cases:detail": Row(
        every(
            (200, 200, 404),
            executor=(200, 404, 404),
            org_head=(200, 404, 404),
            anonymous=(302, 302, 302),
        ),
        kwargs=CASE,
    ),
    "cases:action": Row(
        every(
            (403, 403, 404),
            executor=(409, 404, 404),
            org_head=(409, 404, 404),
            anonymous=(302, 302, 302),
        ),
        kwargs={"pk": 0, "action": "accept"},
        method="post",
    ),
    "cases:answer-template": Row(
        every(
            (200, 200, 404),
            executor=(200, 404, 404),
            org_head=(200, 404, 404),
            anonymous=(302, 302, 302),
        ),
        kwargs=CASE,
    ),
    # Internal notes: scope (404), then role (403: the observer reads only, an integration
    # not at all), then the empty body (back to the card with the error, without htmx).
    "cases:note-add": Row(
        every(
            (302, 302, 404),
            executor=(302, 404, 404),
            org_head=(302, 404, 404),
            observer=(403, 403, 404),
            integration=(403, 403, 404),
            anonymous=(302, 302, 302),
        ),
        kwargs=CASE,
        method="post",
    ),
    "cases:attachment": Row(
        every((200, 404, 404), anonymous=(302, 302, 302)), kwargs={"pk": 0, "attachment_id": 0}
    ),
    "analytics:rating": Row(every(200, integration=403, anonymous=302)),
    "analytics:top": Row(every(200, integration=403, anonymous=302)),
    "analytics:heatmap": Row(every(200, integration=403, anonymous=302)),
    "analytics:cases": Row(every(200, integration=403, anonymous=302)),
    "analytics:rising": Row(every(200, integration=403, anonymous=302)),
    "admin:index": Row(every(302)),
    "set_language": Row(every(302), method="post", data={"language": "ru"}),
    "api-root": Row(every(200, anonymous=401), api=True),
    "case-list": Row(every(200, anonymous=401), api=True),
    "case-detail": Row(
        every(
            (200, 200, 404),
            executor=(200, 404, 404),
            org_head=(200, 404, 404),
            anonymous=(401, 401, 401),
        ),
        api=True,
        kwargs=CASE,
    ),
    "case-events": Row(
        every(
            (200, 200, 404),
            executor=(200, 404, 404),
            org_head=(200, 404, 404),
            anonymous=(401, 401, 401),
        ),
        api=True,
        kwargs=CASE,
    ),
    "case-notes": Row(
        every(
            (200, 200, 404),
            executor=(200, 404, 404),
            org_head=(200, 404, 404),
            integration=(403, 403, 404),
            anonymous=(401, 401, 401),
        ),
        api=True,
        kwargs=CASE,
    ),
    "channels-api:ingest": Row(
        every(403, integration=400, anonymous=401), api=True, method="post", data={}
    ),
    "channels-api:ingest-batch": Row(
        every(403, integration=400, anonymous=401), api=True, method="post", data={}
    ),
    "analytics-rating": Row(every(200, integration=403, anonymous=401), api=True),
    "analytics-top-problems": Row(every(200, integration=403, anonymous=401), api=True),
    "analytics-heatmap": Row(every(200, integration=403, anonymous=401), api=True),
    "analytics-rising": Row(every(200, integration=403, anonymous=401), api=True),
    "schema": Row(every(200), api=True),
    "api-docs": Row(every(200), api=True),
    "case-action-accept": Row(
        every(
            (403, 403, 404),
            executor=(409, 404, 404),
            org_head=(409, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-approve": Row(
        every(
            (200, 409, 404),
            curator=(409, 409, 404),
            executor=(403, 404, 404),
            org_head=(403, 404, 404),
            observer=(403, 403, 404),
            integration=(403, 403, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-assign": Row(
        every(
            (403, 403, 404),
            head=(400, 400, 404),
            administrator=(400, 400, 404),
            executor=(403, 404, 404),
            org_head=(403, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-extend": Row(
        every(
            (403, 403, 404),
            head=(400, 400, 404),
            executor=(403, 404, 404),
            org_head=(403, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-feedback": Row(
        every(
            (400, 400, 404),
            curator=(403, 403, 404),
            executor=(403, 404, 404),
            org_head=(403, 404, 404),
            observer=(403, 403, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-forward": Row(
        every(
            (403, 403, 404),
            head=(400, 400, 404),
            administrator=(400, 400, 404),
            executor=(403, 404, 404),
            org_head=(403, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-interim-answer": Row(
        every(
            (403, 403, 404),
            executor=(400, 404, 404),
            org_head=(400, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-publish": Row(
        every(
            (403, 403, 404),
            head=(409, 409, 404),
            administrator=(409, 409, 404),
            executor=(403, 404, 404),
            org_head=(403, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-publish-interim": Row(
        every(
            (403, 403, 404),
            head=(409, 409, 404),
            administrator=(409, 409, 404),
            executor=(403, 404, 404),
            org_head=(403, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-register-appeal": Row(
        every(
            (403, 403, 404),
            head=(409, 409, 404),
            administrator=(409, 409, 404),
            executor=(403, 404, 404),
            org_head=(403, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-reject": Row(
        every(
            (403, 403, 404),
            head=(409, 409, 404),
            administrator=(409, 409, 404),
            executor=(403, 404, 404),
            org_head=(403, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-request-reassignment": Row(
        every(
            (403, 403, 404),
            executor=(400, 404, 404),
            org_head=(400, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-return": Row(
        every(
            (400, 400, 404),
            executor=(403, 404, 404),
            org_head=(403, 404, 404),
            observer=(403, 403, 404),
            integration=(403, 403, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-return-interim": Row(
        every(
            (403, 403, 404),
            head=(400, 400, 404),
            administrator=(400, 400, 404),
            executor=(403, 404, 404),
            org_head=(403, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-set-fast-track": Row(
        every(
            (403, 403, 404),
            curator=(400, 400, 404),
            head=(400, 400, 404),
            executor=(403, 404, 404),
            org_head=(403, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
    "case-action-submit-answer": Row(
        every(
            (403, 403, 404),
            executor=(400, 404, 404),
            org_head=(400, 404, 404),
            anonymous=(401, 401, 401),
        ),
        **ACTION,
    ),
}


def _url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or namespace
                if ns in WHOLE_NAMESPACES:
                    names.add(f"{ns}:index")
                    continue
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns)
    return names


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    """A case per target and an unassigned one, each with a resident's name and phone, an
    answer with a photo on the own case, a token per persona."""
    from cases import services
    from mcu.tokens import api_token_create
    from tests.cases.conftest import png
    from tests.factories import CategoryFactory, UserFactory
    from tests.reference import World

    with django_db_blocker.unblock(), transaction.atomic():
        world = World.load()
        u = dict(world.users)
        u["org_head"] = UserFactory(
            username="org_head_matrix",
            role=Role.EXECUTOR,
            municipality=world.mun,
            organisation=world.org,
            is_organisation_head=True,
        )
        admin_other = UserFactory(
            username="admin_other_matrix", role=Role.ADMINISTRATOR, municipality=world.mun_other
        )
        category = CategoryFactory(code="matrix-roads", name="Дороги (матрица)")
        executors = {world.org.pk: u["executor"], world.org2.pk: u["executor_other"]}
        made = {}
        for target, mun, org in (
            ("own", world.mun, world.org),
            ("other_org", world.mun, world.org2),
            ("other_mun", world.mun_other, world.org_other),
            ("unassigned", world.mun, None),
        ):
            case = services.case_register(
                municipality=mun,
                kind="incident",
                channel="vk",
                text=f"Яма у дома ({target})",
                author_name=f"Жителева-{target}",
                author_contacts=f"+7 900 {len(made):03d}-{len(target):02d}-17",
            )
            if org is not None:
                admin = u["administrator"] if mun == world.mun else admin_other
                services.case_assign(case.pk, actor=admin, organisation=org, category=category)
                if org.pk in executors:
                    services.case_accept(case.pk, actor=executors[org.pk])
            case.refresh_from_db()
            made[target] = case
        answered = services.case_submit_answer(
            made["own"].pk, actor=u["executor"], text="Сделано.", attachments=[png()]
        )
        attachment = answered.answers.get().attachments.get()
        tokens = {role: api_token_create(user=user, name="matrix")[1] for role, user in u.items()}
        yield {"users": u, "cases": made, "attachment": attachment, "tokens": tokens}
        transaction.set_rollback(True)


def _secrets(data, role: str) -> list[str]:
    """What must not appear in any answer to ``role``."""
    hidden = []
    for target, case in data["cases"].items():
        if target not in SCOPE[role]:
            hidden += [case.registration_number, case.author_name, case.author_contacts]
        elif role not in PERSONAL:
            hidden += [case.author_name, case.author_contacts]
    return hidden


def _ask(client, data, name: str, row: Row, role: str, target: str | None):
    kwargs = dict(row.kwargs)
    if target is not None:
        kwargs["pk"] = data["cases"][target].pk
    if "object_pk" in kwargs:
        kwargs["pk"] = kwargs.pop("object_pk")
    if "attachment_id" in kwargs:
        kwargs["attachment_id"] = data["attachment"].pk  # the own case's photo
    url = reverse(name, kwargs=kwargs or None)
    headers = {}
    client.logout()
    if role != "anonymous":
        if row.api:
            headers["HTTP_AUTHORIZATION"] = f"Token {data['tokens'][role]}"
        else:
            client.force_login(data["users"][role])
    method = getattr(client, row.method)
    if row.method == "post" and row.api:
        return method(url, row.data or {}, content_type="application/json", **headers)
    return method(url, row.data or {}, **headers)


def _text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8", errors="replace")


def test_every_url_is_in_the_matrix():
    missing = sorted(_url_names() - set(MATRIX))
    assert not missing, (
        "URLs with no row in MATRIX (tests/test_authorization_matrix.py): add the status "
        f"each role gets — {missing}"
    )
    stale = sorted(set(MATRIX) - _url_names())
    assert not stale, f"rows for URLs that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_cell(name, role, data, client, db):
    row = MATRIX[name]
    expected = row.expect[role]
    targets = TARGETS if "pk" in row.kwargs else (None,)
    got = []
    for target in targets:
        response = _ask(client, data, name, row, role, target)
        got.append(response.status_code)
        text = _text(response)
        for secret in _secrets(data, role):
            assert secret not in text, f"{name} as {role} ({target}) shows {secret!r}"
    got = tuple(got) if isinstance(expected, tuple) else got[0]
    assert got == expected, f"{name} as {role}: got {got}, expected {expected}"


def test_the_search_for_secrets_would_find_them(data, client, db):
    """The matrix's leak check reads the real answers: the own case's number and its
    resident's name and phone are there for a curator (so their absence elsewhere means
    something)."""
    own = data["cases"]["own"]
    text = _text(_ask(client, data, "cases:detail", MATRIX["cases:detail"], "curator", "own"))
    for value in (own.registration_number, own.author_name, own.author_contacts):
        assert value in text
    listing = _text(_ask(client, data, "case-list", MATRIX["case-list"], "curator", None))
    assert own.registration_number in listing and own.author_name in listing
    observer = _text(_ask(client, data, "case-list", MATRIX["case-list"], "observer", None))
    assert own.registration_number in observer and own.author_name not in observer
