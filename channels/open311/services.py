"""Open311 onto the desk: what a service is, what a request shows, how one is filed.

- A **service** is an active leaf of the category tree (``Category.tree``/``lineage_of``):
  a subcategory, or a category without active subcategories. ``service_code`` is the
  category's ``code``, which is stable (the admin's slug); ``group`` is its sector.
- A **request** is a case the client filed through Open311. A client sees only its own
  requests (it files them for its residents; cases from other channels — and 59-ФЗ
  appeals above all — are not its to see), always through ``Case.objects.visible_to``.
- Its **status** is public: ``closed`` once an answer is published (or the case was
  closed, rejected or forwarded), ``open`` otherwise; ``status_notes`` is the text of the
  last published answer, never a return reason, a comment or the rejection's reason.
- Filing goes through the ingest (``channels.services.ingest_item``, channel
  ``open311``), so the case is registered by ``case_register`` and its clocks start.
  Idempotent per client: on the client's own ``service_request_id`` if it sends one,
  else on a digest of the request for the day (a retry after a lost answer is the same
  request; the same words a week later are a new one).

Residents' names, e-mail and phone are stored as the case's author and are never part of
an answer: ``request_as_georeport`` reads no author field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.choices import CaseStatus, Channel
from cases.models import Answer, Case
from mcu.models import Category

from ..services import ingest_item

#: GeoReport v2: «the most recent 90 days» when no dates are given, at most 1000 requests.
DEFAULT_WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
CLOSED_STATUSES = frozenset(
    {CaseStatus.PUBLISHED, CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.FORWARDED}
)


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    group: str
    description: str

    def as_georeport(self) -> dict:
        return {
            "service_code": self.code,
            "service_name": self.name,
            "description": self.description,
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": self.group,
        }


def open311_services() -> list[Service]:
    """Every service, sector by sector, in the tree's order. Two queries."""
    tree = Category.tree()
    active = {
        c.pk: c
        for c in Category.objects.filter(is_active=True).order_by("level", "sort_order", "name")
    }
    with_active_children = {c.parent_id for c in active.values() if c.parent_id}
    services = []
    for category in active.values():
        if category.pk in with_active_children:
            continue
        lineage = Category.lineage_of(category.pk, tree)
        if any(pk not in active for pk in lineage):
            continue  # under an inactive sector or category
        names = [tree[pk][1] for pk in reversed(lineage)]
        services.append(
            Service(
                code=category.code,
                name=category.name,
                group=names[0],
                description=" → ".join(names),
            )
        )
    order = {pk: i for i, pk in enumerate(active)}
    by_code = {c.code: c.pk for c in active.values()}

    def sort_key(s: Service):
        lineage = Category.lineage_of(by_code[s.code], tree)
        return [order[pk] for pk in reversed(lineage)]

    return sorted(services, key=sort_key)


def open311_service_get(code: str) -> Service | None:
    return next((s for s in open311_services() if s.code == code), None)


# ---------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------


def open311_requests_for(client) -> QuerySet[Case]:
    """The client's own Open311 requests, in its scope, ready to be shown."""
    published = Answer.objects.filter(status=Answer.Status.PUBLISHED).order_by(
        "-published_at", "-id"
    )
    return (
        Case.objects.visible_to(client)
        .filter(channel=Channel.OPEN311, ingest_record__integration=client)
        .select_related("municipality", "category", "organisation", "ingest_record")
        .prefetch_related(Prefetch("answers", queryset=published, to_attr="published_answers"))
        .order_by("-received_at", "-id")
    )


def open311_requests_list(
    client,
    *,
    ids: list[int] | None = None,
    service_codes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: list[str] | None = None,
) -> list[Case]:
    """GeoReport's GET requests: by ids (every other filter ignored, as the spec says),
    else by service, dates (the last 90 days by default) and open/closed."""
    cases = open311_requests_for(client)
    if ids:
        return list(cases.filter(pk__in=ids)[:MAX_REQUESTS])
    if service_codes:
        cases = cases.filter(category__code__in=service_codes)
    if start is None and end is None:
        start = timezone.now() - DEFAULT_WINDOW
    elif start is None:
        start = end - DEFAULT_WINDOW
    cases = cases.filter(received_at__gte=start)
    if end is not None:
        cases = cases.filter(received_at__lte=end)
    wanted = set(statuses or [])
    if wanted == {"open"}:
        cases = cases.exclude(status__in=CLOSED_STATUSES)
    elif wanted == {"closed"}:
        cases = cases.filter(status__in=CLOSED_STATUSES)
    return list(cases[:MAX_REQUESTS])


def _iso(at: datetime | None, case: Case) -> str | None:
    return at.astimezone(case.municipality.zone).isoformat() if at else None


def _status_notes(case: Case, answer: Answer | None) -> str:
    if answer is not None:
        return answer.text
    if case.status == CaseStatus.REJECTED:
        return _("Сообщение отклонено.")
    if case.status == CaseStatus.FORWARDED:
        return _("Сообщение передано по компетенции.")
    return ""


def request_as_georeport(case: Case) -> dict:
    """One request as GeoReport v2 shows it. Reads no author field: the resident's name,
    e-mail and phone never leave the desk through Open311."""
    answers = getattr(case, "published_answers", None)
    if answers is None:
        answers = list(
            case.answers.filter(status=Answer.Status.PUBLISHED).order_by("-published_at", "-id")
        )
    answer = answers[0] if answers else None
    closed = case.status in CLOSED_STATUSES
    expected = None
    if not closed and answer is not None and answer.kind == Answer.Kind.INTERIM:
        expected = answer.promised_at
    record = getattr(case, "ingest_record", None)
    media = (record.attachment_urls or [None])[0] if record is not None else None
    category = case.category
    organisation = case.organisation
    return {
        "service_request_id": str(case.pk),
        "status": "closed" if closed else "open",
        "status_notes": _status_notes(case, answer),
        "service_name": category.name if category else "",
        "service_code": category.code if category else "",
        "description": case.text,
        "agency_responsible": (organisation.short_name or organisation.name)
        if organisation
        else "",
        "service_notice": "",
        "requested_datetime": _iso(case.received_at, case),
        "updated_datetime": _iso(case.updated_at, case),
        "expected_datetime": _iso(expected, case),
        "address": case.address,
        "address_id": None,
        "zipcode": None,
        "lat": float(case.latitude) if case.latitude is not None else None,
        "long": float(case.longitude) if case.longitude is not None else None,
        "media_url": media,
    }


# ---------------------------------------------------------------------------------------
# Filing
# ---------------------------------------------------------------------------------------

#: the fields that make two POSTs of a client the same request
_HASHED_FIELDS = (
    "service_code",
    "description",
    "lat",
    "long",
    "address_string",
    "email",
    "phone",
    "first_name",
    "last_name",
    "device_id",
    "account_id",
    "media_url",
)


def client_source(client) -> str:
    """The ingest source of a client: its account, not its key (a rotated key files the
    same requests)."""
    return f"open311:{client.pk}"


def request_key(client, data: dict, *, at: datetime) -> str:
    """The external id of a filing: the client's own id when given, else a digest of the
    request and the day in the municipality's zone."""
    own = (data.get("service_request_id") or "").strip()
    if own:
        return f"c:{own}"
    payload = json.dumps(
        {name: data.get(name) for name in _HASHED_FIELDS}, sort_keys=True, ensure_ascii=False
    )
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40]
    day = at.astimezone(client.municipality.zone).strftime("%Y%m%d")
    return f"h:{digest}:{day}"


def open311_request_create(*, client, data: dict, service: Service, at: datetime | None = None):
    """File a request (the validated POST) as a case: returns the ingest's result,
    «created» or «duplicate» with the case."""
    at = at or timezone.now()
    name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
    item = {
        "channel": Channel.OPEN311,
        "source": client_source(client),
        "external_id": request_key(client, data, at=at),
        "received_at": at,
        "text": (data.get("description") or "").strip() or service.name,
        "author": {
            "name": name,
            "phone": data.get("phone") or "",
            "email": data.get("email") or "",
        },
        "address": data.get("address_string") or "",
        "attachments": [data["media_url"]] if data.get("media_url") else [],
        "category_hint": service.code,
        "municipality": client.municipality.slug,
    }
    if data.get("lat") is not None:
        item["latitude"], item["longitude"] = data["lat"], data["long"]
    return ingest_item(actor=client, data=item)
