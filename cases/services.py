"""Writes of cases. Services are the only writers (STYLE §6.2).

Every step of the lifecycle (DESIGN §3) is a straight-line function:

1. ``_begin`` takes the case through ``case_get_for_user(for_update=True)`` (404 when
   invisible), checks the role (403) and the state (409) against
   ``cases.workflow.TRANSITIONS``, the version the user saw (409), what the regulation
   adds beyond the table (``_refusal``: an appeal not registered yet, a reassignment
   window closed… — 409) and the reason (400);
2. the service validates its own input (400 naming the field) — forms and serializers
   only parse, then map these errors to their fields;
3. ``_step`` applies the change with a compare-and-swap on ``(status, version)`` (409
   when someone else was first — correct on SQLite too, where ``select_for_update`` does
   nothing) and writes exactly one ``CaseEvent``;
4. the clocks (``cases.clocks``) and the notices (``cases.notify``) follow, in the same
   transaction.

The time of the step is taken once (``at``, default now) and passed down, so the case's
timestamps, the answer, the event and the clocks share one instant; the demo and the
tests pass ``at`` instead of patching the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mcu.bulk import rows_insert
from mcu.choices import Role
from mcu.exceptions import InvalidInput, NotAllowed, StateConflict
from mcu.models import Category, District, Municipality, Organisation
from mcu.text import fold, strip_bidi

from . import clocks, notify
from .attachments import attachments_check
from .choices import CHANNELS_BY_KIND, CaseKind, CaseStatus, EventAction
from .copies import case_rows_follow, publication_facts
from .counts import queue_counts_invalidate
from .models import (
    Answer,
    ApprovalRequirement,
    Attachment,
    Case,
    CaseEvent,
    CaseNote,
    Feedback,
)
from .selectors import case_get_for_user, registration_number_clean
from .workflow import ACTIONS, SYSTEM, Transition, roles_of, transition_for

DEFAULT_LOW_SATISFACTION_THRESHOLD = 2
#: where a reversed run of text could pass for something else (names, numbers, addresses)
BIDI_FREE_FIELDS = (
    "author_name",
    "author_contacts",
    "address",
    "registration_number",
    "external_id",
)
#: 59-ФЗ ст. 12 ч. 2: «не более чем на 30 дней»
MAX_EXTENSION_DAYS = 30


def case_search_text(case: Case) -> str:
    parts = [case.registration_number, case.text, case.address, case.external_id]
    return fold(" ".join(p for p in parts if p))


def event_record(
    *,
    case: Case,
    action: str,
    at: datetime,
    actor=None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    payload: dict | None = None,
) -> CaseEvent:
    """Append one line to the audit trail. Call inside the transaction of the change."""
    return CaseEvent.objects.create(
        case=case,
        action=action,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        payload=payload or {},
        at=at,
    )


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _registration_number(case: Case) -> str:
    """The number a case gets at intake: PREFIX-YY-000123 (the municipality's prefix)."""
    municipality = case.municipality
    prefix = municipality.registration_prefix or municipality.slug[:3].upper()
    return f"{prefix}-{case.received_at:%y}-{case.pk:06d}"


def _bidi_free(fields: dict) -> dict:
    """No bidirectional controls in the fields where they could spoof (``strip_bidi``)."""
    return {
        name: strip_bidi(value) if name in BIDI_FREE_FIELDS else value
        for name, value in fields.items()
    }


def case_register(
    *,
    municipality: Municipality,
    kind: str,
    channel: str,
    text: str,
    actor=None,
    received_at: datetime | None = None,
    at: datetime | None = None,
    **fields,
) -> Case:
    """Register a new case in status «Новое», write its first event and start its clocks.

    ``fields`` are other Case fields (author, address, category…). Validation errors are
    raised before anything is written. One item takes the batch's path (``case_build``,
    ``case_register_many``): the same checks and rows, numbered before the INSERT.
    """
    at = _now(at)
    case = case_build(
        municipality=municipality,
        kind=kind,
        channel=channel,
        text=text,
        received_at=received_at or at,
        **fields,
    )
    case_register_many(cases=[case], actor=actor, at=at)
    return case


#: who registers what staff take in by hand (DESIGN §5): the centre's administrators
REGISTRARS = (Role.ADMINISTRATOR, Role.HEAD)


def case_may_register(user) -> bool:
    """May the user take items in by hand («Новое обращение»)?"""
    return bool(_roles(user) & set(REGISTRARS)) and user.municipality_id is not None


@transaction.atomic
def case_register_by_staff(
    *,
    actor,
    kind: str,
    channel: str,
    text: str,
    received_at: datetime | None = None,
    register_appeal: bool = False,
    registration_number: str = "",
    at: datetime | None = None,
    **fields,
) -> Case:
    """«Новое обращение»: a hotline call (Лабытнанги 3.4.2 г), a 59-ФЗ appeal by letter,
    e-mail or visit (3.4.2 д; registered at once if asked), or a post found by manual
    monitoring of the official pages (Междуреченск 1: «ручной мониторинг … личных
    сообщений в официальных аккаунтах»). In the actor's municipality; the kinds an
    administrator coordinates only."""
    at = _now(at)
    if not case_may_register(actor):
        raise NotAllowed()
    if kind not in actor.coordinated_kinds and actor.role == Role.ADMINISTRATOR:
        raise InvalidInput(_("Вы не координируете этот вид сообщений."), field="kind")
    if not (text or "").strip():
        raise InvalidInput(_("Введите текст обращения."), field="text")
    received_at = received_at or at
    if received_at > at + timedelta(minutes=5):
        raise InvalidInput(_("Дата поступления не может быть в будущем."), field="received_at")
    from channels.clusters import link_duplicates_after_commit
    from channels.rules import rules_apply, rules_count_hits

    # The auto-rules (Ставрополь 3 п. 7) fill in what the administrator left empty.
    routed = {"kind": kind, "channel": channel, "text": text, **fields}
    outcome = rules_apply(actor.municipality_id, routed)
    fields.update({k: routed[k] for k in ("category", "district") if routed.get(k) is not None})
    try:
        case = case_register(
            municipality=actor.municipality,
            kind=kind,
            channel=channel,
            text=text.strip(),
            actor=actor,
            received_at=received_at,
            at=at,
            **fields,
        )
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=field) from exc
    if outcome:
        case_note_auto_rules(outcomes=[(case, outcome)], at=at)
        rules_count_hits([outcome], at=at)
    link_duplicates_after_commit([case.pk])
    if register_appeal and kind == CaseKind.APPEAL:
        case = case_register_appeal(
            case.pk,
            actor=actor,
            registration_number=registration_number,
            registered_at=at,
            at=at,
        )
    return case


@transaction.atomic
def case_note_auto_rules(*, outcomes: list, at: datetime | None = None) -> None:
    """Put what the auto-rules did to just registered cases in their audit trail (one
    «auto_rule» event per case: the rules, the conditions that matched, what each set or
    proposes) and raise the fast-track proposals the rules make.

    ``outcomes`` are ``(case, channels.rules.RuleOutcome)`` pairs of cases registered in
    this transaction. Set-based for a batch: one INSERT of the events, one UPDATE of the
    proposals. A rule, like the administrator, only *proposes* fast-track: «Повышенная
    важность определяется куратором» (Междуреченск 3.8); the curators are told.
    """
    at = _now(at)
    outcomes = [(case, outcome) for case, outcome in outcomes if outcome]
    if not outcomes:
        return
    events = CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case=case,
                action=EventAction.AUTO_RULE,
                from_status=case.status,
                to_status=case.status,
                payload=outcome.payload(),
                at=at,
            )
            for case, outcome in outcomes
        ],
        batch_size=500,
    )
    proposed = [
        (case, event)
        for (case, outcome), event in zip(outcomes, events, strict=True)
        if outcome.propose_fast_track and not case.fast_track and not case.fast_track_proposed
    ]
    if not proposed:
        return
    Case.objects.filter(pk__in=[case.pk for case, _e in proposed]).update(fast_track_proposed=True)
    for case, _event in proposed:
        case.fast_track_proposed = True
    notify.fast_track_proposed_many(proposed)


@transaction.atomic
def case_edit_by_admin(*, case: Case, actor, changed_fields: list[str]) -> Case:
    """A superuser corrected a case's card in the Django admin: save it and put the edit
    in the audit trail like any other change (the field names, not their values, which
    may be personal data). The status is not editable there; the workflow owns it."""
    if not changed_fields:
        return case
    at = timezone.now()
    case.full_clean(exclude=["search_text"])
    case.search_text = case_search_text(case)
    # Only the corrected fields, and only over the version the form was loaded with: a
    # workflow step taken meanwhile is never overwritten (it becomes a 409 instead).
    values = {name: getattr(case, name) for name in changed_fields}
    updated = Case.objects.filter(pk=case.pk, version=case.version).update(
        **values,
        search_text=case.search_text,
        version=F("version") + 1,
        updated_at=at,
    )
    if updated != 1:
        raise StateConflict()
    case.version += 1
    if "organisation" in changed_fields:
        case_rows_follow(case)
    event_record(
        case=case,
        action=EventAction.EDIT,
        actor=actor,
        from_status=case.status,
        to_status=case.status,
        payload={"fields": sorted(changed_fields), "via": "admin"},
        at=at,
    )
    if {"category", "kind", "channel", "fast_track"} & set(changed_fields):
        clocks.recompute(case, at=at, include_breached="fast_track" in changed_fields)
    return case


# ---------------------------------------------------------------------------------------
# Internal notes between the centre and the executor (issue 11, «The card»)
# ---------------------------------------------------------------------------------------

#: who writes notes: the centre and the executor; the observer (ЦУР) only reads them
NOTE_WRITERS = frozenset({Role.ADMINISTRATOR, Role.HEAD, Role.CURATOR, Role.EXECUTOR})
#: who reads them: everyone who works with the case — never an integration's API key
NOTE_READERS = NOTE_WRITERS | {Role.OBSERVER}
NOTE_MAX_CHARS = 4000


def case_note_may_read(user) -> bool:
    return bool(_roles(user) & NOTE_READERS)


def case_note_may_add(user) -> bool:
    return bool(_roles(user) & NOTE_WRITERS)


@transaction.atomic
def case_note_add(*, case: Case, actor, text: str, at: datetime | None = None) -> CaseNote:
    """Add an internal note to ``case``: the centre and the executor talk about the work
    without the resident seeing it. No public output reads notes — not the published
    answer, not Open311 (``channels.open311``), not the resident's notices. Writes one
    CaseEvent (the note's id, not its text, so the trail shows who wrote when) and tells
    the other side: the executor's organisation when the centre writes, the
    administrators when the executor writes."""
    at = _now(at)
    if not case_note_may_add(actor):
        raise NotAllowed()
    # Scope: the executor only on its own organisation's cases (404 otherwise).
    case = case_get_for_user(user=actor, pk=case.pk)
    text = strip_bidi(text or "").strip()
    if not text:
        raise InvalidInput(_("Введите текст заметки."), field="text")
    if len(text) > NOTE_MAX_CHARS:
        raise InvalidInput(_("Не длиннее %(n)s символов.") % {"n": NOTE_MAX_CHARS}, field="text")
    note = CaseNote(case=case, author=actor, text=text, created_at=at)
    note.full_clean()
    note.save()
    event = event_record(
        case=case, action=EventAction.NOTE, actor=actor, at=at, payload={"note_id": note.pk}
    )
    notify.note_added(case, event=event, actor=actor, text=text)
    return note


# ---------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------


def _roles(user) -> frozenset[str]:
    if user is None:
        return frozenset({SYSTEM})
    if not (user.is_authenticated and user.is_active):
        return frozenset()
    if user.is_superuser:
        # Superusers configure the desk and may act in any role.
        return frozenset(Role.values)
    return frozenset({user.role}) if user.role else frozenset()


def case_role_may(user, action: str) -> bool:
    """May the user's role take ``action`` in some status (the transition table's roles)?"""
    return bool(_roles(user) & roles_of(action))


def case_check_role(user, action: str) -> None:
    """403 unless the user's role may take ``action`` in some status (the cheap check an
    entry point makes before reading the input; the service checks everything again)."""
    if not case_role_may(user, action):
        raise NotAllowed()


def _row_for(case: Case, action: str, actor) -> Transition:
    """The table row for this actor, action and status; 403 when the role never may,
    409 when the role may but not in the case's current status."""
    if not case_role_may(actor, action):
        raise NotAllowed()
    row = transition_for(action, case.status)
    if row is None or not _roles(actor) & row.roles:
        raise StateConflict(
            _("Действие недоступно: сообщение в статусе «%(status)s».")
            % {"status": case.get_status_display()}
        )
    return row


def _pending_interim(case: Case) -> Answer | None:
    return (
        case.answers.filter(kind=Answer.Kind.INTERIM, status=Answer.Status.SUBMITTED)
        .order_by("-created_at", "-id")
        .first()
    )


class _Memo(dict):
    """Reads shared by the checks of one card (the pending interim answer)."""

    def pending_interim(self, case: Case) -> Answer | None:
        if "interim" not in self:
            self["interim"] = _pending_interim(case)
        return self["interim"]


def _refusal(case: Case, action: str, *, at: datetime, memo: _Memo | None = None) -> str | None:
    """What the regulations forbid beyond the transition table, or None. The card hides
    the action, the service answers 409 with this text."""
    memo = _Memo() if memo is None else memo
    appeal = case.kind == CaseKind.APPEAL
    if action == "register_appeal":
        if not appeal:
            return _("Регистрация по 59-ФЗ — только для обращений граждан.")
        if case.registered_at is not None:
            return _("Обращение уже зарегистрировано.")
    elif action in ("assign", "forward", "cluster_answer") and appeal and not case.registered_at:
        return _("Сначала зарегистрируйте обращение (59-ФЗ ст. 8).")
    elif action in ("forward", "extend") and not appeal:
        return _("Это действие — только для обращений по 59-ФЗ.")
    if action == "request_reassignment" and not clocks.reassign_window_open(case, now=at):
        return _(
            "Переназначение можно запросить только в течение 30 минут после назначения. "
            "Свяжитесь с администратором МЦУ."
        )
    if action == "interim_answer" and memo.pending_interim(case) is not None:
        return _("Промежуточный ответ уже на проверке у администратора.")
    if action in ("publish_interim", "return_interim") and memo.pending_interim(case) is None:
        return _("Нет промежуточного ответа на проверке.")
    if action == "feedback" and appeal:
        return _(
            "По обращениям 59-ФЗ оценка не возвращает в работу: повторное обращение "
            "регистрируется как новое и связывается с прежним."
        )
    if action == "extend":
        if case.events.filter(action=EventAction.EXTEND).exists():
            return _("Срок уже продлевался: продлить можно один раз (59-ФЗ ст. 12 ч. 2).")
        if clocks.running(case, clocks.ANSWER) is None:
            return _("Нет идущего срока ответа.")
    return None


def approval_required(case: Case) -> bool:
    """Does the (municipality, kind) need the curator's approval (Междуреченск 3.6)?"""
    return ApprovalRequirement.objects.filter(
        municipality_id=case.municipality_id, kind=case.kind, required=True
    ).exists()


def case_allowed_actions(user, case: Case, *, at: datetime | None = None) -> list[str]:
    """The actions ``user`` may take on ``case`` now: the card shows these buttons and no
    others, the API lists them. ``case`` must be visible to the user."""
    at = _now(at)
    roles = _roles(user)
    allowed, memo = [], _Memo()
    for action in ACTIONS:
        row = transition_for(action, case.status)
        if row is None or not roles & row.roles:
            continue
        if _refusal(case, action, at=at, memo=memo) is None:
            allowed.append(action)
    return allowed


# ---------------------------------------------------------------------------------------
# The two halves of every step
# ---------------------------------------------------------------------------------------


def _lock(case_id, actor) -> Case:
    if actor is None:  # the desk itself (auto-close): no user scope
        return Case.objects.select_for_update().get(pk=case_id)
    return case_get_for_user(user=actor, pk=case_id, for_update=True)


def _begin(
    case_id, *, action: str, actor, at: datetime, version=None, reason: str = ""
) -> tuple[Case, Transition, str]:
    """Lock the case and check everything the table says; returns the locked case, its
    row and the stripped reason. Call inside the step's transaction."""
    case = _lock(case_id, actor)
    row = _row_for(case, action, actor)
    if version is not None and int(version) != case.version:
        raise StateConflict()
    refusal = _refusal(case, action, at=at)
    if refusal:
        raise StateConflict(refusal)
    reason = (reason or "").strip()
    if row.needs_reason and not reason:
        raise InvalidInput(_("Укажите причину."), field="reason")
    return case, row, reason


def _step(
    case: Case,
    row: Transition,
    *,
    actor,
    at: datetime,
    target: str | None = None,
    fields: dict | None = None,
    event: str | None = None,
    payload: dict | None = None,
    reason: str = "",
) -> CaseEvent:
    """Compare-and-swap the case from what ``_begin`` read to its new state and write the
    step's one event. Two people at once: one update matches, the other's does not and
    becomes a 409 (Healthchecks sendalerts)."""
    fields = fields or {}
    from_status = case.status
    to_status = target or row.target or from_status
    updated = Case.objects.filter(pk=case.pk, version=case.version, status=from_status).update(
        status=to_status, version=F("version") + 1, updated_at=at, **fields
    )
    if updated != 1:
        raise StateConflict()
    organisation_before = case.organisation_id
    for name, value in fields.items():
        setattr(case, name, value)
    case.status, case.version, case.updated_at = to_status, case.version + 1, at
    if case.organisation_id != organisation_before:
        case_rows_follow(case)
    _counts_changed(case.municipality_id)
    return event_record(
        case=case,
        action=event or row.event,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        payload=payload,
        at=at,
    )


def _counts_changed(municipality_id: int | None) -> None:
    """The queue counts of the municipality are stale once this step commits (the cached
    counts of ``cases.counts``; the sweep's breaches age out with their TTL)."""
    transaction.on_commit(partial(queue_counts_invalidate, municipality_id))


def _same_municipality(case: Case, **objs) -> None:
    for name, obj in objs.items():
        if obj is not None and obj.municipality_id != case.municipality_id:
            field_name = "organization" if name == "organisation" else name
            raise InvalidInput(
                _("Относится к другому муниципальному образованию."), field=field_name
            )


# ---------------------------------------------------------------------------------------
# The steps, in the order of the lifecycle
# ---------------------------------------------------------------------------------------


def appeal_number(case: Case, *, at: datetime) -> str:
    """The number an appeal gets at registration when none is typed in
    (``APPEAL_NUMBER_FORMAT``: ``prefix``, ``yyyy``, ``yy``, ``pk``)."""
    municipality = case.municipality
    prefix = municipality.registration_prefix or municipality.slug[:3].upper()
    local = timezone.localtime(at, municipality.zone)
    return settings.APPEAL_NUMBER_FORMAT.format(
        prefix=prefix, yyyy=f"{local:%Y}", yy=f"{local:%y}", pk=case.pk
    )


@transaction.atomic
def case_register_appeal(
    case_id,
    *,
    actor,
    registration_number: str = "",
    registered_at: datetime | None = None,
    version: int | None = None,
    at: datetime | None = None,
) -> Case:
    """59-ФЗ ст. 8 ч. 2: «Письменное обращение подлежит обязательной регистрации в течение
    трех дней с момента поступления». The number (kept unless another is given) and the
    date are recorded; the answer's 30 days (ст. 12 ч. 1: «со дня регистрации») and the
    7 days of forwarding (ст. 8 ч. 3) run from that date."""
    at = _now(at)
    case, row, _r = _begin(case_id, action="register_appeal", actor=actor, at=at, version=version)
    registered_at = registered_at or at
    if registered_at > at:
        raise InvalidInput(_("Дата регистрации не может быть в будущем."), field="registered_at")
    if registered_at < case.received_at:
        raise InvalidInput(
            _("Дата регистрации не может быть раньше поступления."), field="registered_at"
        )
    fields: dict = {"registered_at": registered_at}
    number = strip_bidi(registration_number).strip() or appeal_number(case, at=registered_at)
    if number and number != case.registration_number:
        taken = Case.objects.filter(
            municipality_id=case.municipality_id, registration_number=number
        ).exclude(pk=case.pk)
        if taken.exists():
            raise InvalidInput(_("Этот номер уже занят."), field="registration_number")
        case.registration_number = number
        fields.update(registration_number=number, search_text=case_search_text(case))
    _step(
        case,
        row,
        actor=actor,
        at=at,
        fields=fields,
        payload={
            "registration_number": case.registration_number,
            "registered_at": registered_at.isoformat(),
            "late": registered_at > case.received_at + timedelta(days=3),
        },
    )
    clocks.on_appeal_registered(case, at=registered_at)
    return case


@transaction.atomic
def case_assign(
    case_id,
    *,
    actor,
    organisation: Organisation | None,
    category: Category | None = None,
    district: District | None = None,
    address: str | None = None,
    kind: str | None = None,
    channel: str | None = None,
    propose_fast_track: bool = False,
    version: int | None = None,
    at: datetime | None = None,
) -> Case:
    """Moderation: structure the item and name the executor organisation.

    Setting or changing the category, kind or channel re-selects the policies of the
    running clocks (the ПОС 5-working-day rule of Лабытнанги 3.4.2 в) needs a category,
    and ПОС items arrive without one). The administrator may only *propose* fast-track:
    «Повышенная важность определяется куратором» (Междуреченск 3.8).
    """
    at = _now(at)
    case, row, _r = _begin(case_id, action="assign", actor=actor, at=at, version=version)
    if organisation is None:
        raise InvalidInput(_("Выберите организацию-исполнителя."), field="organization")
    _same_municipality(case, organisation=organisation, district=district)
    if category is None and case.category_id is None:
        raise InvalidInput(_("Выберите категорию."), field="category")
    new_kind = kind or case.kind
    new_channel = channel or case.channel
    if new_kind not in CaseKind.values:
        raise InvalidInput(_("Неизвестный вид сообщения."), field="kind")
    if (new_kind == CaseKind.APPEAL) != (case.kind == CaseKind.APPEAL):
        raise InvalidInput(
            _("Обращение по 59-ФЗ и сообщение — разные порядки: вид не меняется."), field="kind"
        )
    if new_channel not in CHANNELS_BY_KIND.get(new_kind, []):
        raise InvalidInput(_("Канал не подходит для этого вида."), field="channel")
    fields: dict = {"organisation": organisation, "assignee": None}
    reselect = False
    if category is not None and category.pk != case.category_id:
        fields["category"], reselect = category, True
    if new_kind != case.kind or new_channel != case.channel:
        fields.update(kind=new_kind, channel=new_channel)
        reselect = True
    if district is not None:
        fields["district"] = district
    if address is not None and strip_bidi(address).strip() != case.address:
        case.address = strip_bidi(address).strip()
        fields.update(address=case.address, search_text=case_search_text(case))
    proposed = bool(propose_fast_track) and not case.fast_track and not case.fast_track_proposed
    if proposed:
        fields["fast_track_proposed"] = True
    payload = {
        "organization": organisation.pk,
        "organization_name": str(organisation),
        "category": getattr(category or case.category, "pk", None),
        "district": getattr(district or case.district, "pk", None),
        "kind": new_kind,
        "channel": new_channel,
        "fast_track_proposed": proposed,
    }
    if case.status == CaseStatus.ASSIGNED:
        payload["previous_organization"] = case.organisation_id
    event = _step(case, row, actor=actor, at=at, fields=fields, payload=payload)
    clocks.cancel(case, clocks.REASSIGN_WINDOW, at=at)
    clocks.start(case, clocks.REASSIGN_WINDOW, at=at)
    if case.kind == CaseKind.APPEAL:
        # Competence decided here: no forwarding to another body.
        clocks.cancel(case, clocks.FORWARD, at=at)
    if reselect:
        clocks.recompute(case, at=at)
    notify.assigned(case, event=event, actor=actor)
    if proposed:
        notify.fast_track_proposed(case, event=event, actor=actor)
    return case


@transaction.atomic
def case_set_category(
    case_id,
    *,
    actor,
    category: Category | None,
    version: int | None = None,
    at: datetime | None = None,
) -> Case:
    """Moderation: the category alone, the executor left as it is (the list's bulk bar).
    The running clocks re-select their policies as ``case_assign`` does on a new category
    (the ПОС 5-working-day rule of Лабытнанги 3.4.2 в) needs one). One «edit» event names
    the field, the new category and the previous one."""
    at = _now(at)
    case, row, _r = _begin(case_id, action="set_category", actor=actor, at=at, version=version)
    if category is None:
        raise InvalidInput(_("Выберите категорию."), field="category")
    if not category.is_active:
        raise InvalidInput(_("Эта категория больше не используется."), field="category")
    if category.pk == case.category_id:
        raise StateConflict(_("Категория уже такая."))
    previous = case.category_id
    _step(
        case,
        row,
        actor=actor,
        at=at,
        fields={"category": category},
        payload={
            "fields": ["category"],
            "category": category.pk,
            "category_name": str(category),
            "previous_category": previous,
        },
    )
    clocks.recompute(case, at=at)
    return case


def _find_original(case: Case, *, actor, reference) -> Case:
    """The case a duplicate repeats: a Case, a registration number or an id, visible to
    the actor and of the same municipality (a number outside the scope is not confirmed)."""
    if isinstance(reference, Case):
        original = reference
    else:
        number = registration_number_clean(reference)
        candidates = Case.objects.visible_to(actor) if actor is not None else Case.objects
        candidates = candidates.filter(municipality_id=case.municipality_id)
        original = candidates.filter(registration_number=number).first()
        if original is None and number.isdigit():
            original = candidates.filter(pk=int(number)).first()
    if (
        original is None
        or original.pk == case.pk
        or (original.municipality_id != case.municipality_id)
    ):
        raise InvalidInput(_("Укажите номер исходного сообщения того же МО."), field="duplicate_of")
    return original


@transaction.atomic
def case_reject(
    case_id,
    *,
    actor,
    reason: str = "",
    duplicate_of=None,
    version: int | None = None,
    at: datetime | None = None,
) -> Case:
    """Moderation: not for the desk (spam, not our competence, duplicate of № N).
    ``duplicate_of`` is the original case, its number or its id."""
    at = _now(at)
    original = None
    if duplicate_of is not None:
        case = case_get_for_user(user=actor, pk=case_id)
        original = _find_original(case, actor=actor, reference=duplicate_of)
        details = (reason or "").strip()
        reason = _("Дубликат сообщения № %(number)s") % {"number": original}
        if details:
            reason = f"{reason}: {details}"
    case, row, reason = _begin(
        case_id, action="reject", actor=actor, at=at, version=version, reason=reason
    )
    fields: dict = {"closed_at": at}
    payload = {}
    if original is not None:
        fields["duplicate_of"] = original
        payload["duplicate_of"] = original.pk
    _step(case, row, actor=actor, at=at, fields=fields, payload=payload, reason=reason)
    clocks.cancel(case, at=at)
    return case


@transaction.atomic
def case_forward(
    case_id,
    *,
    actor,
    to_body: str,
    notice: str,
    version: int | None = None,
    at: datetime | None = None,
) -> Case:
    """59-ФЗ ст. 8 ч. 3: an appeal outside the competence goes «в течение семи дней со дня
    регистрации в соответствующий орган … с уведомлением гражданина». The notice to the
    applicant is recorded; the case is closed here as forwarded."""
    at = _now(at)
    to_body, notice = (to_body or "").strip(), (notice or "").strip()
    case, row, _r = _begin(case_id, action="forward", actor=actor, at=at, version=version)
    if not to_body:
        raise InvalidInput(_("Укажите орган, куда направлено обращение."), field="to_body")
    if not notice:
        raise InvalidInput(
            _("Укажите, как и когда уведомлён заявитель (59-ФЗ ст. 8 ч. 3)."), field="notice"
        )
    reason = _("Направлено по компетенции: %(body)s") % {"body": to_body}
    _step(
        case,
        row,
        actor=actor,
        at=at,
        fields={"forwarded_to": to_body[:300], "closed_at": at},
        payload={"to_body": to_body, "notice": notice},
        reason=reason,
    )
    clocks.meet(case, clocks.FORWARD, at=at)
    clocks.cancel(case, at=at)
    return case


@transaction.atomic
def case_accept(case_id, *, actor, version: int | None = None, at: datetime | None = None):
    """The executor takes the case into work. Internal: nothing reaches the resident, so
    only the reassignment window closes (Междуреченск 3.7 — the first reply is one «с
    указанием исполнения сроков», and that is a published answer)."""
    at = _now(at)
    case, row, _r = _begin(case_id, action="accept", actor=actor, at=at, version=version)
    _step(case, row, actor=actor, at=at, fields={"assignee": actor})
    clocks.meet(case, clocks.REASSIGN_WINDOW, at=at)
    return case


@transaction.atomic
def case_request_reassignment(
    case_id, *, actor, reason: str, version: int | None = None, at: datetime | None = None
) -> Case:
    """Междуреченск, прил. 1 §2: not our competence — back to the administrator, allowed
    only within the reassignment window (30 working minutes of the assignment)."""
    at = _now(at)
    case, row, reason = _begin(
        case_id, action="request_reassignment", actor=actor, at=at, version=version, reason=reason
    )
    payload = {
        "organization": case.organisation_id,
        "organization_name": str(case.organisation or ""),
    }
    event = _step(
        case,
        row,
        actor=actor,
        at=at,
        fields={"organisation": None, "assignee": None},
        payload=payload,
        reason=reason,
    )
    clocks.cancel(case, clocks.REASSIGN_WINDOW, at=at)
    notify.reassignment_requested(case, event=event, actor=actor, reason=reason)
    return case


def _check_promise(promised_at: datetime | None, *, at: datetime) -> None:
    """A promised date is in the future and not later than the policy's ceiling."""
    if promised_at is None:
        raise InvalidInput(_("Укажите обещанный срок."), field="promised_at")
    if promised_at <= at:
        raise InvalidInput(_("Обещанный срок должен быть в будущем."), field="promised_at")
    limit = clocks.promise_max_days()
    if limit and promised_at > at + timedelta(days=limit):
        raise InvalidInput(
            _("Обещанный срок — не позже чем через %(days)s дн.") % {"days": limit},
            field="promised_at",
        )


@transaction.atomic
def case_give_interim_answer(
    case_id,
    *,
    actor,
    text: str,
    promised_at: datetime | None,
    version: int | None = None,
    at: datetime | None = None,
) -> Case:
    """Междуреченск 3.10: «необходимо предоставить промежуточный ответ» — the executor
    writes it with a promised date. It goes to the administrator's review; nothing is met
    until it is published (3.8: «срок обозначен для публикации ответа»), so an executor
    alone never takes a case out of «Просроченные»."""
    at = _now(at)
    text = (text or "").strip()
    case, row, _r = _begin(case_id, action="interim_answer", actor=actor, at=at, version=version)
    if not text:
        raise InvalidInput(_("Введите текст промежуточного ответа."), field="text")
    _check_promise(promised_at, at=at)
    answer = Answer.objects.create(
        case=case,
        kind=Answer.Kind.INTERIM,
        text=text,
        promised_at=promised_at,
        author=actor,
        created_at=at,
    )
    fields = {"assignee": actor} if case.assignee_id is None else {}
    event = _step(
        case,
        row,
        actor=actor,
        at=at,
        fields=fields,
        payload={"answer": answer.pk, "promised_at": promised_at.isoformat()},
    )
    # Answering means the case is the executor's: the reassignment window closes.
    clocks.meet(case, clocks.REASSIGN_WINDOW, at=at)
    notify.interim_submitted(case, event=event, actor=actor)
    return case


@transaction.atomic
def case_publish_interim(
    case_id, *, actor, version: int | None = None, at: datetime | None = None
) -> Case:
    """The administrator publishes the interim answer: it reaches the resident and names
    the date, so the first reply (Междуреченск 3.7) and the answer clock (3.8, 3.10) are
    met, and the promise clock runs to the promised date. A promise replaced by a new one
    keeps its breach on record (``deadline_cancel``)."""
    at = _now(at)
    case, row, _r = _begin(case_id, action="publish_interim", actor=actor, at=at, version=version)
    answer = _pending_interim(case)
    if answer.promised_at <= at:
        raise StateConflict(
            _("Обещанный срок уже прошёл: верните промежуточный ответ исполнителю.")
        )
    event = _step(
        case,
        row,
        actor=actor,
        at=at,
        payload={"answer": answer.pk, "promised_at": answer.promised_at.isoformat()},
    )
    Answer.objects.filter(pk=answer.pk).update(
        status=Answer.Status.PUBLISHED,
        published_at=at,
        **publication_facts(case, at=at, answer_pk=answer.pk),
    )
    clocks.meet(case, clocks.FIRST_REPLY, clocks.ANSWER, at=at)
    clocks.cancel(case, clocks.PROMISE, at=at)
    clocks.start(case, clocks.PROMISE, at=at, due_at=answer.promised_at)
    notify.interim_published(case, event=event, actor=actor, promised_at=answer.promised_at)
    return case


@transaction.atomic
def case_return_interim(
    case_id, *, actor, reason: str, version: int | None = None, at: datetime | None = None
) -> Case:
    """The administrator sends the interim answer back with a reason; nothing is met."""
    at = _now(at)
    case, row, reason = _begin(
        case_id, action="return_interim", actor=actor, at=at, version=version, reason=reason
    )
    answer = _pending_interim(case)
    event = _step(case, row, actor=actor, at=at, payload={"answer": answer.pk}, reason=reason)
    Answer.objects.filter(pk=answer.pk).update(status=Answer.Status.RETURNED, return_reason=reason)
    notify.interim_returned(case, event=event, actor=actor, reason=reason)
    return case


@transaction.atomic
def case_submit_answer(
    case_id,
    *,
    actor,
    text: str,
    attachments=(),
    version: int | None = None,
    at: datetime | None = None,
) -> Case:
    """The executor's final answer, with photos and PDFs of the work done (Междуреченск,
    прил. 1 §2: «подготовка ответа с приложением фото и других документов»)."""
    at = _now(at)
    text = (text or "").strip()
    case, row, _r = _begin(case_id, action="submit_answer", actor=actor, at=at, version=version)
    if not text:
        raise InvalidInput(_("Введите текст ответа."), field="text")
    checked = attachments_check(list(attachments or []))
    answer = Answer.objects.create(
        case=case, kind=Answer.Kind.FINAL, text=text, author=actor, created_at=at
    )
    event = _step(
        case, row, actor=actor, at=at, payload={"answer": answer.pk, "attachments": len(checked)}
    )
    # Files are written only once the transition has won (storage is not rolled back
    # with the transaction).
    for upload, content_type in checked:
        attachment = Attachment(
            answer=answer,
            content_type=content_type,
            size=upload.size,
            original_name=upload.name[:255],
            uploaded_at=at,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()
    notify.answer_submitted(case, event=event, actor=actor)
    return case


@transaction.atomic
def case_approve(case_id, *, actor, version: int | None = None, at: datetime | None = None):
    """The administrator's review, then the curator's approval where it is required
    (Междуреченск 3.6)."""
    at = _now(at)
    case, row, _r = _begin(case_id, action="approve", actor=actor, at=at, version=version)
    stage = "review" if case.status == CaseStatus.ON_REVIEW else "approval"
    to_approval = stage == "review" and approval_required(case)
    target = CaseStatus.ON_APPROVAL if to_approval else CaseStatus.APPROVED
    event = _step(case, row, actor=actor, at=at, target=target, payload={"stage": stage})
    if to_approval:
        notify.approval_requested(case, event=event, actor=actor)
    else:
        case.answers.filter(kind=Answer.Kind.FINAL, status=Answer.Status.SUBMITTED).update(
            status=Answer.Status.APPROVED
        )
    return case


@transaction.atomic
def case_return(
    case_id, *, actor, reason: str, version: int | None = None, at: datetime | None = None
) -> Case:
    """Back to the executor «на доработку с указанием причины»; the card shows the reason."""
    at = _now(at)
    case, row, reason = _begin(
        case_id, action="return", actor=actor, at=at, version=version, reason=reason
    )
    event = _step(case, row, actor=actor, at=at, reason=reason)
    case.answers.filter(
        kind=Answer.Kind.FINAL, status__in=[Answer.Status.SUBMITTED, Answer.Status.APPROVED]
    ).update(status=Answer.Status.RETURNED, return_reason=reason)
    notify.answer_returned(case, event=event, actor=actor, reason=reason)
    return case


def _latest_final_answer(case: Case, *statuses: str) -> Answer | None:
    return (
        case.answers.filter(kind=Answer.Kind.FINAL, status__in=statuses)
        .order_by("-created_at", "-id")
        .first()
    )


@transaction.atomic
def case_publish(case_id, *, actor, version: int | None = None, at: datetime | None = None):
    """The answer goes to the resident. Междуреченск 3.8: «срок обозначен для публикации
    ответа, а не только подготовки текста» — the first reply, the answer and a promise are
    met now. A message then waits two days for the resident (3.6); an appeal is closed
    (59-ФЗ has no such wait)."""
    at = _now(at)
    case, row, _r = _begin(case_id, action="publish", actor=actor, at=at, version=version)
    answer = _latest_final_answer(case, Answer.Status.APPROVED, Answer.Status.SUBMITTED)
    if answer is None:
        raise StateConflict(_("Нет одобренного ответа для публикации."))
    Answer.objects.filter(pk=answer.pk).update(
        status=Answer.Status.PUBLISHED,
        published_at=at,
        **publication_facts(case, at=at, answer_pk=answer.pk),
    )
    return _answer_reaches_the_resident(
        case, row, actor=actor, at=at, payload={"answer": answer.pk}
    )


def _answer_reaches_the_resident(case, row, *, actor, at, payload: dict, fields=None) -> Case:
    """The one publication step of a final answer (``case_publish`` and a cluster's
    answer): the status, one event, the first reply, the answer and a promise met
    (Междуреченск 3.8); the two days' wait for the resident starts (3.6), or an appeal is
    closed (59-ФЗ has no such wait)."""
    appeal = case.kind == CaseKind.APPEAL
    fields = {**(fields or {}), "published_at": at}
    if appeal:
        fields["closed_at"] = at
    _step(
        case,
        row,
        actor=actor,
        at=at,
        target=CaseStatus.CLOSED if appeal else CaseStatus.PUBLISHED,
        fields=fields,
        payload=payload,
    )
    clocks.meet(case, clocks.FIRST_REPLY, clocks.ANSWER, clocks.PROMISE, at=at)
    if appeal:
        clocks.cancel(case, at=at)
    else:
        clocks.start(case, clocks.REACTION, at=at)
    return case


@transaction.atomic
def case_publish_cluster_answer(
    case_id,
    *,
    actor,
    answer: Answer,
    cluster_id: int,
    at: datetime | None = None,
) -> Case:
    """One post of a confirmed problem cluster gets the answer published on the
    cluster's main case: a copy of its text, published now, with the step's one event;
    the first reply, the answer and a promise are met as by ``case_publish``
    (Междуреченск 3.8), the reaction wait starts (an appeal is closed). A post not
    categorised or routed yet takes the main case's category and organisation, so the
    analytics count it where the work was done. The answer's attachments are attached to
    the copy too."""
    at = _now(at)
    case, row, _r = _begin(case_id, action="cluster_answer", actor=actor, at=at)
    source = answer.case
    copy = Answer.objects.create(
        case=case,
        kind=Answer.Kind.FINAL,
        status=Answer.Status.PUBLISHED,
        text=answer.text,
        author=actor,
        created_at=at,
        published_at=at,
        **publication_facts(case, at=at),
    )
    # The photos and PDFs of the answer go with it: every post of the cluster gets the
    # answer the main case got (issue #8: «every post in it gets the answer»). One row per
    # post, so each card and public page checks access through its own case; the stored
    # file is shared, not copied (nothing deletes an answer's file on its own).
    Attachment.objects.bulk_create(
        [
            Attachment(
                answer=copy,
                file=a.file.name,
                content_type=a.content_type,
                size=a.size,
                original_name=a.original_name,
                uploaded_at=at,
            )
            for a in answer.attachments.all()
        ]
    )
    fields: dict = {}
    if case.category_id is None and source.category_id is not None:
        fields["category_id"] = source.category_id
    if case.organisation_id is None and source.organisation_id is not None:
        fields["organisation_id"] = source.organisation_id
    return _answer_reaches_the_resident(
        case,
        row,
        actor=actor,
        at=at,
        fields=fields,
        payload={"answer": copy.pk, "cluster": cluster_id, "from_case": source.pk},
    )


@transaction.atomic
def case_link_repeat(
    case: Case, *, original: Case, similarity: float, at: datetime | None = None
) -> Case:
    """The resident writes again about a case already answered: the new case is linked
    to it as a repeat (``Case.repeats``, what ``analytics.indicators`` counts as
    «повторные», Саратов п. 3.6), with an event on the new case. Nothing else changes:
    the new case goes through moderation like any other."""
    at = _now(at)
    if original.municipality_id != case.municipality_id or original.pk == case.pk:
        raise InvalidInput(_("Укажите сообщение того же МО."), field="repeats")
    updated = Case.objects.filter(pk=case.pk, repeats__isnull=True).update(repeats=original)
    if updated != 1:
        return case
    case.repeats = original
    event_record(
        case=case,
        action=EventAction.REPEAT,
        from_status=case.status,
        to_status=case.status,
        payload={
            "repeats": original.pk,
            "repeats_number": str(original),
            "similarity": round(similarity, 3),
        },
        at=at,
    )
    return case


def low_satisfaction_threshold() -> int:
    return int(getattr(settings, "LOW_SATISFACTION_THRESHOLD", DEFAULT_LOW_SATISFACTION_THRESHOLD))


@transaction.atomic
def case_record_feedback(
    case_id,
    *,
    actor,
    rating: int | None = None,
    comment: str = "",
    reopen: bool | None = None,
    version: int | None = None,
    at: datetime | None = None,
) -> Case:
    """The resident's reaction to the published answer.

    Reopens the case (back to «В работе», repeat counter + 1) when the rating is at or
    below ``LOW_SATISFACTION_THRESHOLD`` (Саратов §3.6: «повторно поступившим … в случае
    представления заявителем низкой оценки удовлетворенности»), or when a comment comes
    without a good rating (Междуреченск 3.6: «если поступит комментарий от пользователя,
    то сообщение вернется в работу»). ``reopen`` overrides that for a comment that is a
    thank-you or a complaint. Otherwise the case closes.

    After the two days (3.6: «если житель в течении двух дней не напишет комментарий, то
    ответ будет считаться готовым») the reaction is recorded and shown, and reopens
    nothing: a new complaint is a new case.
    """
    at = _now(at)
    comment = (comment or "").strip()
    if rating is not None and not 1 <= int(rating) <= 5:
        raise InvalidInput(_("Оценка — от 1 до 5."), field="rating")
    if rating is None and not comment:
        raise InvalidInput(_("Укажите оценку или комментарий заявителя."), field="rating")
    case, row, _r = _begin(case_id, action="feedback", actor=actor, at=at, version=version)
    reaction = clocks.running(case, clocks.REACTION)
    late = case.status == CaseStatus.CLOSED or (reaction is not None and reaction.due_at <= at)
    if late:
        reopen = False
    elif reopen is None:
        reopen = int(rating) <= low_satisfaction_threshold() if rating is not None else True
    answer = _latest_final_answer(case, Answer.Status.PUBLISHED)
    feedback = Feedback.objects.create(
        case=case,
        answer=answer,
        rating=rating,
        comment=comment,
        reopened=reopen,
        after_window=late,
        recorded_by=actor,
        at=at,
    )
    fields: dict = {"satisfaction": rating if rating is not None else case.satisfaction}
    payload = {
        "feedback": feedback.pk,
        "answer": getattr(answer, "pk", None),
        "rating": rating,
        "comment": comment,
        "after_window": late,
    }
    target, event_action = CaseStatus.CLOSED, None
    if reopen:
        # Linked for analytics: the reopen event names the feedback and the answer the
        # resident did not accept; Case.repeats stays for new cases that repeat this one.
        target, event_action = CaseStatus.IN_PROGRESS, EventAction.REOPEN
        fields.update(repeat_count=case.repeat_count + 1, closed_at=None)
        payload["repeat"] = case.repeat_count + 1
    elif case.status != CaseStatus.CLOSED:
        fields["closed_at"] = at
    event = _step(
        case,
        row,
        actor=actor,
        at=at,
        target=target,
        event=event_action,
        fields=fields,
        payload=payload,
        reason=comment if reopen else "",
    )
    clocks.meet(case, clocks.REACTION, at=at)
    if reopen:
        clocks.start(case, clocks.ANSWER, at=at)
        notify.reopened(case, event=event, actor=actor, reason=comment)
    else:
        clocks.cancel(case, at=at)
    return case


@transaction.atomic
def case_set_fast_track(
    case_id, *, actor, value: bool, version: int | None = None, at: datetime | None = None
) -> Case:
    """The curator (or the head) marks or clears «повышенная важность» (Междуреченск 3.8:
    «Повышенная важность определяется куратором»), or declines an administrator's
    proposal. The 4 hours run in calendar time from the mark; on a fast-track case every
    clock runs in calendar time; clearing the mark puts a breached 4-hour clock back to
    the ordinary term."""
    at = _now(at)
    case, row, _r = _begin(case_id, action="set_fast_track", actor=actor, at=at, version=version)
    value = bool(value)
    if value == case.fast_track and not (case.fast_track_proposed and not value):
        raise StateConflict(_("Отметка о повышенной важности уже такая."))
    changed = value != case.fast_track
    fields = {
        "fast_track": value,
        "fast_track_at": at if value else None,
        "fast_track_proposed": False,
    }
    payload = {"value": value, "proposal_declined": case.fast_track_proposed and not value}
    event = _step(case, row, actor=actor, at=at, fields=fields, payload=payload)
    if changed:
        clocks.recompute(case, at=at, include_breached=True)
    if value:
        notify.fast_track_set(case, event=event, actor=actor)
    return case


@transaction.atomic
def case_extend(
    case_id,
    *,
    actor,
    days: int,
    reason: str,
    notice: str,
    version: int | None = None,
    at: datetime | None = None,
) -> Case:
    """59-ФЗ ст. 12 ч. 2: «руководитель … вправе продлить срок рассмотрения обращения не
    более чем на 30 дней, уведомив о продлении срока его рассмотрения гражданина» — once,
    by the head, with a reason and the notice to the applicant recorded."""
    at = _now(at)
    case, row, reason = _begin(
        case_id, action="extend", actor=actor, at=at, version=version, reason=reason
    )
    if days is None or not 1 <= int(days) <= MAX_EXTENSION_DAYS:
        raise InvalidInput(
            _("Продлить можно на 1–%(n)s дней.") % {"n": MAX_EXTENSION_DAYS}, field="days"
        )
    notice = (notice or "").strip()
    if not notice:
        raise InvalidInput(_("Укажите, как и когда уведомлён заявитель."), field="notice")
    _step(
        case, row, actor=actor, at=at, payload={"days": int(days), "notice": notice}, reason=reason
    )
    clocks.extend(case, clocks.ANSWER, days=int(days), at=at)
    return case


def case_auto_close(case_id, *, at: datetime | None = None) -> Case:
    """Междуреченск 3.6: «если житель в течении двух дней не напишет комментарий, то ответ
    будет считаться готовым». Done by the desk itself: the event has no actor."""
    at = _now(at)
    with transaction.atomic():
        case, row, _r = _begin(case_id, action="close", actor=None, at=at)
        _step(
            case,
            row,
            actor=None,
            at=at,
            fields={"closed_at": at},
            payload={"reason": "no_reaction"},
        )
        clocks.meet(case, clocks.REACTION, at=at)
        clocks.cancel(case, at=at)
    return case


# ---------------------------------------------------------------------------------------
# Personal data (152-ФЗ): erasure on request and after the retention period
# ---------------------------------------------------------------------------------------

#: the resident's personal data kept on a case
PERSONAL_FIELDS = ("author_name", "author_url", "author_contacts")


def _erase(case_ids: list[int], *, actor, reason: str, at: datetime) -> int:
    """Blank the personal fields of these cases and put one event on each, naming the
    fields and the reason, never the erased values. Set-based: one UPDATE, one INSERT."""
    if not case_ids:
        return 0
    cases = list(Case.objects.filter(pk__in=case_ids).only("pk", "status"))
    Case.objects.filter(pk__in=case_ids).update(
        author_name="", author_url="", author_contacts="", version=F("version") + 1, updated_at=at
    )
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case_id=case.pk,
            action=EventAction.ERASE_PERSONAL_DATA,
            actor=actor,
            from_status=case.status,
            to_status=case.status,
            reason=reason,
            payload={"fields": list(PERSONAL_FIELDS)},
            at=at,
        )
        for case in cases
    )
    return len(cases)


def person_cases(*, name: str = "", contacts: str = "", profile_url: str = ""):
    """Cases whose author is this person: the same profile link, or the same name (case
    and ё/е folded, as SQLite cannot fold Cyrillic) with the same contacts — a name alone
    is not a person."""
    ids: set[int] = set()
    if profile_url.strip():
        ids.update(Case.objects.filter(author_url=profile_url.strip()).values_list("pk", flat=True))
    if name.strip() and contacts.strip():
        wanted = fold(name)
        ids.update(
            pk
            for pk, author in Case.objects.filter(author_contacts=contacts.strip()).values_list(
                "pk", "author_name"
            )
            if fold(author) == wanted
        )
    return Case.objects.filter(pk__in=sorted(ids)).order_by("pk")


@transaction.atomic
def person_erase(
    *,
    actor=None,
    reason: str,
    name: str = "",
    contacts: str = "",
    profile_url: str = "",
    at: datetime | None = None,
) -> int:
    """152-ФЗ ст. 21 ч. 3: a resident's request to erase their personal data. The cases
    stay (the record of how the administration answered); the author's name, profile and
    contacts go. Returns how many cases were touched."""
    if not reason.strip():
        raise InvalidInput(_("Укажите основание (заявление, его номер и дату)."), field="reason")
    ids = list(
        person_cases(name=name, contacts=contacts, profile_url=profile_url).values_list(
            "pk", flat=True
        )
    )
    return _erase(ids, actor=actor, reason=reason.strip(), at=_now(at))


def personal_data_retention_erase(
    *, older_than_days: int, at: datetime | None = None, batch: int = 2000
) -> int:
    """152-ФЗ ст. 5 ч. 7: personal data are kept no longer than the purpose needs. The
    author fields of cases finished (closed, rejected, forwarded) more than
    ``older_than_days`` ago are erased, in bounded batches, each case with its event."""
    at = _now(at)
    cutoff = at - timedelta(days=int(older_than_days))
    done = 0
    finished = [CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.FORWARDED]
    from django.db.models import Q

    has_data = ~Q(author_name="") | ~Q(author_url="") | ~Q(author_contacts="")
    while True:
        ids = list(
            Case.objects.filter(has_data, status__in=finished, closed_at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return done
        with transaction.atomic():
            done += _erase(
                ids,
                actor=None,
                reason=_("Срок хранения персональных данных истёк (%(days)s дн.)")
                % {"days": older_than_days},
                at=at,
            )


# --- Intake (channels) ---
# The batch ingest of ``channels`` (DESIGN §5) registers up to a thousand items at once.
# These are ``case_register``'s steps, one statement per step instead of per case: the
# same validation, registration number, search text, first event and clocks.


def case_build(
    *,
    municipality: Municipality,
    kind: str,
    channel: str,
    text: str,
    received_at: datetime | None = None,
    **fields,
) -> Case:
    """An unsaved case in status «Новое», as ``case_register`` would write it, validated
    (``ValidationError`` naming the fields). Uniqueness is not checked here: the caller
    inserts inside a savepoint and reads an ``IntegrityError`` of ``(source,
    external_id)`` as a duplicate, which also holds when two deliveries race."""
    case = Case(
        municipality=municipality,
        kind=kind,
        channel=channel,
        text=text,
        # Whole seconds: the admin and the forms show no microseconds, so a re-saved card
        # does not silently move the time of receipt.
        received_at=(received_at or timezone.now()).replace(microsecond=0),
        status=CaseStatus.NEW,
        **_bidi_free(fields),
    )
    # The related objects come loaded from the database (the caller memoises them for a
    # batch): their existence is not asked again, once per case.
    loaded = [f.name for f in Case._meta.concrete_fields if f.is_relation and f.is_cached(case)]
    case.full_clean(
        exclude=["search_text", *loaded], validate_unique=False, validate_constraints=False
    )
    return case


def _case_ids_reserve(count: int) -> list[int]:
    """``count`` new case ids from the table's sequence (PostgreSQL)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Case._meta.db_table, count],
        )
        return [row[0] for row in cur.fetchall()]


@transaction.atomic
def case_register_many(*, cases: list[Case], actor=None, at: datetime | None = None) -> list[Case]:
    """Register the cases made by ``case_build``: an INSERT of the cases (numbered, with
    their nearest term: the clocks are planned first), an INSERT of their first events
    and one of their clocks.

    The number holds the case's id, so on PostgreSQL the ids are drawn from the table's
    sequence first (``nextval`` once per case, safe beside other writers) and the cases
    go in numbered; elsewhere they are inserted, then numbered by an UPDATE.

    Precondition: every case comes from ``case_build`` (validated, unsaved). An
    ``IntegrityError`` (an item another delivery registered meanwhile) rolls the whole
    call back; the caller then registers the items one by one.
    """
    from django.db import connection

    if not cases:
        return []

    def number(case: Case) -> None:
        if not case.registration_number:
            case.registration_number = _registration_number(case)
        case.search_text = case_search_text(case)

    if connection.vendor == "postgresql":
        for case, pk in zip(cases, _case_ids_reserve(len(cases)), strict=True):
            case.pk = pk
            number(case)
        planned = clocks.on_register_plan(cases)
        rows_insert(Case, cases)  # numbered, with their nearest term
    else:
        if connection.features.can_return_rows_from_bulk_insert:
            Case.objects.bulk_create(cases, batch_size=500)
        else:  # a backend that cannot say the new ids: one INSERT per case
            for case in cases:
                case.save()
        for case in cases:
            number(case)
        planned = clocks.on_register_plan(cases)
        Case.objects.bulk_update(
            cases, ["registration_number", "search_text", "next_due_at"], batch_size=500
        )
    now = _now(at)
    rows_insert(
        CaseEvent,
        [
            CaseEvent(
                case=case,
                action=EventAction.REGISTER,
                actor=actor,
                to_status=CaseStatus.NEW,
                payload={"kind": case.kind, "channel": case.channel, "source": case.source},
                at=now,
            )
            for case in cases
        ],
    )
    clocks.on_register_write(planned)
    for municipality_id in {case.municipality_id for case in cases}:
        _counts_changed(municipality_id)
    return cases
