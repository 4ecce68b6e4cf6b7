"""Ingest: everything residents send gets in, once (DESIGN §5).

«Token-authenticated REST ingest, single and batch, idempotent on (source, external_id):
the same post delivered twice is one case. Bad input gets a 400 naming the field; nothing
half-written.»

Idempotency rests on the database: the partial unique constraint
``case_unique_external_id`` on ``Case(source, external_id)``. Each registration runs in a
savepoint; when the INSERT hits the constraint (the item was taken in already, perhaps a
millisecond ago by a delivery racing this one) the savepoint is rolled back and the case
that holds the key is returned. The look-up before the INSERT only spares the work of
registering a known item; it decides nothing.

Cases are created through ``cases`` services only (DESIGN §7): ``case_register`` for one
item, ``case_build`` + ``case_register_many`` for a batch. Nothing here logs an item:
its author, contacts and text are personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.choices import CHANNELS_BY_KIND
from cases.models import Case
from cases.services import case_build, case_note_auto_rules, case_register, case_register_many
from mcu.bulk import rows_insert
from mcu.choices import Role
from mcu.exceptions import DeskError, InvalidInput, NotAllowed
from mcu.models import Category, Municipality

from .clusters import link_duplicates_after_commit
from .models import IngestRecord
from .rules import RuleOutcome, RuleSet, rules_count_hits

__all__ = ["IngestKeyTaken", "IngestResult", "ingest_batch", "ingest_item", "ingest_with"]

KIND_BY_CHANNEL: dict[str, str] = {
    channel: kind for kind, channels in CHANNELS_BY_KIND.items() for channel in channels
}

# Case fields → the names of the ingest API, so a 400 names what the caller sent.
_API_FIELD = {
    "source_url": "url",
    "author_name": "author",
    "author_url": "author",
    "author_contacts": "author",
    "category": "category_hint",
    NON_FIELD_ERRORS: "non_field_errors",
}

Key = tuple[str, str]


class IngestKeyTaken(DeskError):
    """The key belongs to a case of another municipality: not this account's to see."""

    status_code = 409


@dataclass(frozen=True)
class IngestResult:
    status: Literal["created", "duplicate", "error"]
    case: Case | None = None
    errors: dict | None = None

    @property
    def created(self) -> bool:
        return self.status == "created"


def _api_errors(exc: ValidationError) -> dict[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": [str(m) for m in exc.messages]}
    errors: dict[str, list[str]] = {}
    for field, messages in exc.message_dict.items():
        errors.setdefault(_API_FIELD.get(field, field), []).extend(messages)
    return errors


class _Intake:
    """One request's ingest by one integration account, with its look-ups memoised."""

    def __init__(self, actor):
        if not (actor and actor.is_authenticated and actor.has_role(Role.INTEGRATION)):
            raise NotAllowed(_("Загрузка доступна только учётной записи интеграции."))
        if not actor.municipality_id:
            raise NotAllowed(
                _("Учётной записи интеграции не назначено муниципальное образование."),
                field="municipality",
            )
        self.actor = actor
        self.default_source = actor.username[:64]
        self._municipalities: dict[str, Municipality | None] = {}
        self._categories: dict[str, Category | None] = {}
        self._rules: dict[int, RuleSet] = {}

    # -- look-ups -----------------------------------------------------------------------

    def key(self, data: dict) -> Key:
        return (data.get("source") or self.default_source, data["external_id"])

    def municipality(self, slug: str | None) -> Municipality:
        """The account's own municipality; a slug may only name it (no account feeds
        several municipalities yet)."""
        own = self.actor.municipality
        if not slug or slug == own.slug:
            return own
        if slug not in self._municipalities:
            self._municipalities[slug] = Municipality.objects.filter(slug=slug).first()
        if self._municipalities[slug] is None:
            raise InvalidInput(
                _("Нет муниципального образования с кодом «%(slug)s».") % {"slug": slug},
                field="municipality",
            )
        raise NotAllowed(
            _("Учётная запись интеграции загружает сообщения только своего МО (%(slug)s).")
            % {"slug": own.slug},
            field="municipality",
        )

    def category(self, code: str) -> Category | None:
        if not code:
            return None
        if code not in self._categories:
            self._categories[code] = Category.objects.filter(code=code, is_active=True).first()
        return self._categories[code]

    def rules(self, municipality_id: int) -> RuleSet:
        """The municipality's auto-rules, read once per request (a batch reads them once)."""
        if municipality_id not in self._rules:
            self._rules[municipality_id] = RuleSet(municipality_id)
        return self._rules[municipality_id]

    def routed_fields(self, data: dict) -> tuple[dict, RuleOutcome]:
        """``case_fields`` with the auto-rules applied (Ставрополь 3 п. 7)."""
        fields = self.case_fields(data)
        return fields, self.rules(fields["municipality"].pk).apply(fields)

    def preload_categories(self, codes: set[str]) -> None:
        codes = {c for c in codes if c and c not in self._categories}
        found = {c.code: c for c in Category.objects.filter(code__in=codes, is_active=True)}
        for code in codes:
            self._categories[code] = found.get(code)

    def existing(self, keys: list[Key]) -> dict[Key, Case]:
        by_source: dict[str, set[str]] = {}
        for source, external_id in keys:
            by_source.setdefault(source, set()).add(external_id)
        if not by_source:
            return {}
        condition = Q()
        for source, ids in by_source.items():
            condition |= Q(source=source, external_id__in=sorted(ids))
        cases = Case.objects.filter(condition).select_related("municipality", "category")
        return {(c.source, c.external_id): c for c in cases}

    # -- building -----------------------------------------------------------------------

    def case_fields(self, data: dict) -> dict:
        """The keyword arguments of ``case_register`` / ``case_build`` for an item."""
        author = data.get("author") or {}
        contacts = ", ".join(p for p in (author.get("phone"), author.get("email")) if p)
        source, external_id = self.key(data)
        hint = data.get("category_hint") or ""
        fields = {
            "municipality": self.municipality(data.get("municipality")),
            "kind": data.get("kind") or KIND_BY_CHANNEL[data["channel"]],
            "channel": data["channel"],
            "text": data["text"],
            "received_at": data["received_at"],
            "source": source,
            "external_id": external_id,
            "source_url": data.get("url") or "",
            "author_name": author.get("name") or "",
            "author_url": author.get("profile_url") or "",
            "author_contacts": contacts,
            "address": data.get("address") or "",
        }
        if data.get("latitude") is not None:
            # The case keeps six decimals (about 10 cm); sources send more.
            fields["latitude"] = Decimal(f"{data['latitude']:.6f}")
            fields["longitude"] = Decimal(f"{data['longitude']:.6f}")
        category = self.category(hint)
        if category is not None:
            fields["category"] = category
        return fields

    def record(self, case: Case, data: dict) -> IngestRecord:
        return IngestRecord(
            case=case,
            integration=self.actor,
            category_hint=data.get("category_hint") or "",
            attachment_urls=list(data.get("attachments") or []),
        )

    def answer_duplicate(self, case: Case) -> IngestResult:
        if case.municipality_id != self.actor.municipality_id:
            raise IngestKeyTaken(
                _("Сообщение с таким external_id из этого источника уже загружено другим МО."),
                field="external_id",
            )
        return IngestResult("duplicate", case=case)

    # -- one item -----------------------------------------------------------------------

    def register_one(self, data: dict) -> IngestResult:
        """Register an item in its own savepoint; raises DeskError / ValidationError."""
        key = self.key(data)
        known = self.existing([key]).get(key)
        if known is not None:
            return self.answer_duplicate(known)
        fields, outcome = self.routed_fields(data)
        try:
            with transaction.atomic():
                case = case_register(actor=self.actor, **fields)
                # A new row (its key is the new case): an INSERT, not an UPDATE tried first.
                self.record(case, data).save(force_insert=True)
                if outcome:
                    case_note_auto_rules(outcomes=[(case, outcome)])
                    rules_count_hits([outcome], at=case.created_at)
                link_duplicates_after_commit([case.pk])
        except IntegrityError:
            # A delivery of the same item won the race: the constraint kept it one case.
            known = self.existing([key]).get(key)
            if known is None:
                raise
            return self.answer_duplicate(known)
        except ValidationError as exc:
            # full_clean also checks the constraint: a delivery committed just before us.
            known = self.existing([key]).get(key)
            if known is not None:
                return self.answer_duplicate(known)
            raise ValidationError(_api_errors(exc)) from None
        return IngestResult("created", case=case)

    def try_one(self, data: dict) -> IngestResult:
        try:
            return self.register_one(data)
        except DeskError as exc:
            return IngestResult("error", errors=exc.as_dict())
        except ValidationError as exc:
            return IngestResult("error", errors=_api_errors(exc))


def ingest_item(*, actor, data: dict) -> IngestResult:
    """Take in one item (the validated data of ``IngestItemSerializer``): «created» with
    the new case, or «duplicate» with the case that already holds (source, external_id).

    Raises ``NotAllowed`` (403) for an account that may not ingest or a municipality not
    its own, ``InvalidInput`` / ``ValidationError`` (400) naming the field, and
    ``IngestKeyTaken`` (409) when another municipality's case holds the key.
    """
    return _Intake(actor).register_one(data)


def ingest_batch(*, actor, items: list[dict]) -> list[IngestResult]:
    """Take in a batch of validated items; one result per item, in their order.

    Set-based: one query for the keys already taken, the new cases, their first events,
    clocks and ingest records each written with one INSERT (``case_register_many``). An
    item whose key came earlier in the batch is a duplicate of that one. A bad item is an
    «error» result and costs only itself. If another delivery registers one of the items
    while the batch is written, the INSERT fails on the unique constraint, the batch's
    savepoint is rolled back, and the items are registered one by one, each in its own
    savepoint: slower, and the same answer.
    """
    return ingest_with(_Intake(actor), items)


def ingest_with(intake: _Intake, items: list[dict]) -> list[IngestResult]:
    """``ingest_batch`` for an intake made by the caller: the import of exports
    (``channels.import_services``) takes rows in through here, as another kind of account
    into a municipality it chose."""
    actor = intake.actor
    intake.preload_categories({d.get("category_hint") or "" for d in items})
    keys = [intake.key(d) for d in items]
    known = intake.existing(keys)
    results: list[IngestResult | None] = [None] * len(items)
    built: list[tuple[int, Case]] = []
    outcomes: dict[int, RuleOutcome] = {}
    first_of: dict[Key, int] = {}
    repeats: list[tuple[int, int]] = []
    for i, (data, key) in enumerate(zip(items, keys, strict=True)):
        if key in known:
            results[i] = _or_error(intake.answer_duplicate, known[key])
        elif key in first_of:
            repeats.append((i, first_of[key]))
        else:
            try:
                fields, outcomes[i] = intake.routed_fields(data)
                case = case_build(**fields)
            except DeskError as exc:
                results[i] = IngestResult("error", errors=exc.as_dict())
            except ValidationError as exc:
                results[i] = IngestResult("error", errors=_api_errors(exc))
            else:
                # Only a good item claims its key: a later copy of a bad one gets its turn.
                first_of[key] = i
                built.append((i, case))
    # In the order of the keys: two batches that share items take the unique index's
    # locks in the same order, so one waits for the other instead of a deadlock.
    built.sort(key=lambda entry: keys[entry[0]])
    try:
        with transaction.atomic():
            case_register_many(cases=[case for _, case in built], actor=actor)
            rows_insert(IngestRecord, [intake.record(case, items[i]) for i, case in built])
            routed = [(case, outcomes[i]) for i, case in built if outcomes.get(i)]
            if routed:
                case_note_auto_rules(outcomes=routed)
                rules_count_hits([outcome for _c, outcome in routed], at=timezone.now())
            link_duplicates_after_commit([case.pk for _i, case in built])
        for i, case in built:
            results[i] = IngestResult("created", case=case)
    except IntegrityError:
        for i, _case in built:
            results[i] = intake.try_one(items[i])
    for i, first in repeats:
        earlier = results[first]
        if earlier is not None and earlier.case is not None:
            results[i] = IngestResult("duplicate", case=earlier.case)
        else:
            results[i] = intake.try_one(items[i])
    return results  # type: ignore[return-value]


def _or_error(answer, case: Case) -> IngestResult:
    try:
        return answer(case)
    except DeskError as exc:
        return IngestResult("error", errors=exc.as_dict())
