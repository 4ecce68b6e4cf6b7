"""Writes of cases. Services are the only writers (STYLE §6.2).

Every transition of the lifecycle (DESIGN §3) goes through ``_transition``: it takes the
case through ``case_get_for_user(for_update=True)`` (404 when invisible), checks the role
(403) and the state (409) against ``cases.workflow.TRANSITIONS``, applies the change with a
compare-and-swap on ``(status, version)`` (409 when someone else was first — correct on
SQLite too, where ``select_for_update`` does nothing), writes exactly one ``CaseEvent``,
starts and meets the clocks, and tells people after the commit. The public wrappers below
are what pages, the API, tasks and commands call.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mcu.choices import Role
from mcu.exceptions import InvalidInput, NotAllowed, StateConflict
from mcu.models import Category, District, Municipality, Organisation
from mcu.text import fold

from . import clocks
from .attachments import attachments_check
from .choices import CaseStatus, EventAction
from .models import Answer, ApprovalRequirement, Attachment, Case, CaseEvent, Feedback
from .notify import case_notify
from .selectors import case_get_for_user
from .workflow import ACTIONS, SYSTEM, Transition, roles_of, transition_for

DEFAULT_LOW_SATISFACTION_THRESHOLD = 2


def case_search_text(case: Case) -> str:
    parts = [case.registration_number, case.text, case.address, case.external_id]
    return fold(" ".join(p for p in parts if p))


def event_record(
    *,
    case: Case,
    action: str,
    actor=None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    payload: dict | None = None,
    at: datetime | None = None,
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
        at=at or timezone.now(),
    )


@transaction.atomic
def case_register(
    *,
    municipality: Municipality,
    kind: str,
    channel: str,
    text: str,
    actor=None,
    received_at: datetime | None = None,
    **fields,
) -> Case:
    """Register a new case in status «Новое», write its first event and start its clocks.

    ``fields`` are other Case fields (author, address, category…). Validation errors are
    raised before anything is written.
    """
    case = Case(
        municipality=municipality,
        kind=kind,
        channel=channel,
        text=text,
        # Whole seconds: the admin and the forms show no microseconds, so a re-saved card
        # does not silently move the time of receipt.
        received_at=(received_at or timezone.now()).replace(microsecond=0),
        status=CaseStatus.NEW,
        **fields,
    )
    case.full_clean(exclude=["search_text"])
    case.save()
    if not case.registration_number:
        prefix = municipality.registration_prefix or municipality.slug[:3].upper()
        case.registration_number = f"{prefix}-{case.received_at:%y}-{case.pk:06d}"
    case.search_text = case_search_text(case)
    case.save(update_fields=["registration_number", "search_text"])
    event_record(
        case=case,
        action=EventAction.REGISTER,
        actor=actor,
        to_status=CaseStatus.NEW,
        payload={"kind": kind, "channel": channel, "source": case.source},
    )
    clocks.on_register(case)
    return case


# ---------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------


@transaction.atomic
def case_edit_by_admin(*, case: Case, actor, changed_fields: list[str]) -> Case:
    """A superuser corrected a case's card in the Django admin: save it and put the edit
    in the audit trail like any other change (the field names, not their values, which
    may be personal data). The status is not editable there; the workflow owns it."""
    if not changed_fields:
        return case
    case.full_clean(exclude=["search_text"])
    case.search_text = case_search_text(case)
    # Only the corrected fields, and only over the version the form was loaded with: a
    # workflow step taken meanwhile is never overwritten (it becomes a 409 instead).
    values = {name: getattr(case, name) for name in changed_fields}
    updated = Case.objects.filter(pk=case.pk, version=case.version).update(
        **values,
        search_text=case.search_text,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if updated != 1:
        raise StateConflict()
    case.version += 1
    event_record(
        case=case,
        action=EventAction.EDIT,
        actor=actor,
        from_status=case.status,
        to_status=case.status,
        payload={"fields": sorted(changed_fields), "via": "admin"},
    )
    if {"category", "kind", "channel", "fast_track"} & set(changed_fields):
        clocks.recompute(case)
    return case


def _roles(user) -> frozenset[str]:
    if user is None:
        return frozenset({SYSTEM})
    if not (user.is_authenticated and user.is_active):
        return frozenset()
    if user.is_superuser:
        # Superusers configure the desk and may act in any role.
        return frozenset(Role.values)
    return frozenset({user.role}) if user.role else frozenset()


def _check_allowed(case: Case, action: str, actor) -> Transition:
    """The table row for this actor, action and status; 403 when the role never may,
    409 when the role may but not in the case's current status."""
    if not case_role_may(actor, action):
        raise NotAllowed()
    roles = _roles(actor)
    row = transition_for(action, case.status)
    if row is None or not roles & row.roles:
        raise StateConflict(
            _("Действие недоступно: сообщение в статусе «%(status)s».")
            % {"status": case.get_status_display()}
        )
    return row


def case_role_may(user, action: str) -> bool:
    """May the user's role take ``action`` in some status (the transition table's roles)?"""
    return bool(_roles(user) & roles_of(action))


def case_check_role(user, action: str) -> None:
    """403 unless the user's role may take ``action`` in some status (the cheap check an
    entry point makes before reading the input; the service checks everything again)."""
    if not case_role_may(user, action):
        raise NotAllowed()


def approval_required(case: Case) -> bool:
    """Does the (municipality, kind) need the curator's approval (Междуреченск 3.6)?"""
    return ApprovalRequirement.objects.filter(
        municipality_id=case.municipality_id, kind=case.kind, required=True
    ).exists()


def case_allowed_actions(user, case: Case) -> list[str]:
    """The actions ``user`` may take on ``case`` now: the card shows these buttons and no
    others, the API lists them. ``case`` must be visible to the user."""
    roles = _roles(user)
    allowed = []
    for action in ACTIONS:
        row = transition_for(action, case.status)
        if row is None or not roles & row.roles:
            continue
        if action == "request_reassignment" and not clocks.reassign_window_open(case):
            continue
        allowed.append(action)
    return allowed


# ---------------------------------------------------------------------------------------
# The one transition
# ---------------------------------------------------------------------------------------


@dataclass
class Change:
    """What an action does besides the status: set by the wrapper's ``apply`` callback."""

    fields: dict = field(default_factory=dict)
    payload: dict = field(default_factory=dict)
    target: str | None = None
    event: str | None = None
    #: run after the row is updated and the event written (answers, clocks)
    after: list[Callable[[Case, CaseEvent], None]] = field(default_factory=list)
    notify: str | None = None
    notify_kwargs: dict = field(default_factory=dict)


def _lock(case_id, actor) -> Case:
    if actor is None:  # the desk itself (auto-close): no user scope
        return Case.objects.select_for_update().get(pk=case_id)
    return case_get_for_user(user=actor, pk=case_id, for_update=True)


def _transition(
    case_id,
    *,
    action: str,
    actor,
    reason: str = "",
    version: int | None = None,
    apply: Callable[[Case, Change], None] | None = None,
    at: datetime | None = None,
) -> Case:
    """Take one step of the lifecycle. The caller's wrapper supplies ``apply``, which reads
    the locked case and fills in a ``Change``; everything else is the same for every step.
    ``version`` is the version the user saw (the card's hidden field): a stale one is a 409.
    """
    now = at or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        case = _lock(case_id, actor)
        row = _check_allowed(case, action, actor)
        if version is not None and int(version) != case.version:
            raise StateConflict()
        if row.needs_reason and not reason:
            raise InvalidInput(_("Укажите причину."), field="reason")
        change = Change(target=row.target or case.status, event=row.event)
        if apply is not None:
            apply(case, change)
        from_status, to_status = case.status, change.target
        # Compare-and-swap: the row must still be what we read. Two people at once: one
        # update matches, the other's does not and becomes a 409 (Healthchecks sendalerts).
        updated = Case.objects.filter(pk=case.pk, version=case.version, status=from_status).update(
            status=to_status, version=F("version") + 1, updated_at=now, **change.fields
        )
        if updated != 1:
            raise StateConflict()
        for name, value in change.fields.items():
            setattr(case, name, value)
        case.status, case.version, case.updated_at = to_status, case.version + 1, now
        event = event_record(
            case=case,
            action=change.event,
            actor=actor,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            payload=change.payload,
            at=now,
        )
        for step in change.after:
            step(case, event)
        if change.notify:
            transaction.on_commit(
                partial(
                    case_notify,
                    case,
                    action=change.notify,
                    event_id=event.pk,
                    actor_id=getattr(actor, "pk", None),
                    reason=reason,
                    **change.notify_kwargs,
                )
            )
    return case


# ---------------------------------------------------------------------------------------
# Public wrappers: one per action
# ---------------------------------------------------------------------------------------


def case_assign(
    case_id,
    *,
    actor,
    organisation: Organisation,
    category: Category | None = None,
    district: District | None = None,
    address: str | None = None,
    fast_track: bool | None = None,
    version: int | None = None,
) -> Case:
    """Moderation: structure the item and name the executor organisation."""

    def apply(case: Case, change: Change) -> None:
        if organisation is None:
            raise InvalidInput(_("Выберите организацию-исполнителя."), field="organization")
        _same_municipality(case, organisation=organisation, district=district)
        if category is None and case.category_id is None:
            raise InvalidInput(_("Выберите категорию."), field="category")
        change.fields.update(organisation=organisation, assignee=None)
        if category is not None:
            change.fields["category"] = category
        if district is not None:
            change.fields["district"] = district
        if address is not None and address.strip() != case.address:
            change.fields["address"] = address.strip()
            case.address = address.strip()
            change.fields["search_text"] = case_search_text(case)
        fast_changed = fast_track is not None and bool(fast_track) != case.fast_track
        if fast_changed:
            change.fields["fast_track"] = bool(fast_track)
        change.payload = {
            "organization": organisation.pk,
            "organization_name": str(organisation),
            "category": getattr(category or case.category, "pk", None),
            "district": getattr(district or case.district, "pk", None),
            "fast_track": bool(fast_track) if fast_track is not None else case.fast_track,
        }
        if case.status == CaseStatus.ASSIGNED:
            change.payload["previous_organization"] = case.organisation_id

        def clocks_after(case: Case, event: CaseEvent) -> None:
            clocks.meet(case, clocks.REGISTER, at=event.at)
            clocks.cancel(case, clocks.REASSIGN_WINDOW, at=event.at)
            clocks.start(case, clocks.REASSIGN_WINDOW, at=event.at)
            if fast_changed:
                clocks.recompute(case)

        change.after.append(clocks_after)
        change.notify = "assign"

    return _transition(case_id, action="assign", actor=actor, version=version, apply=apply)


def case_reject(
    case_id, *, actor, reason: str, duplicate_of: Case | None = None, version: int | None = None
) -> Case:
    """Moderation: not for the desk (spam, not our competence, duplicate of #N)."""

    def apply(case: Case, change: Change) -> None:
        change.fields["closed_at"] = timezone.now()
        if duplicate_of is not None:
            if duplicate_of.pk == case.pk or duplicate_of.municipality_id != case.municipality_id:
                raise InvalidInput(
                    _("Укажите другое сообщение того же МО как исходное."), field="duplicate_of"
                )
            change.fields["duplicate_of"] = duplicate_of
            change.payload["duplicate_of"] = duplicate_of.pk
        change.after.append(lambda case, event: clocks.cancel(case, at=event.at))

    return _transition(
        case_id, action="reject", actor=actor, reason=reason, version=version, apply=apply
    )


def case_accept(case_id, *, actor, version: int | None = None) -> Case:
    """The executor takes the case into work: the first-reply clock is met."""

    def apply(case: Case, change: Change) -> None:
        change.fields["assignee"] = actor
        # The executor has decided the case is theirs: the reassignment window closes.
        change.after.append(
            lambda case, event: clocks.meet(
                case, clocks.FIRST_REPLY, clocks.REASSIGN_WINDOW, at=event.at
            )
        )

    return _transition(case_id, action="accept", actor=actor, version=version, apply=apply)


def case_request_reassignment(case_id, *, actor, reason: str, version: int | None = None) -> Case:
    """Междуреченск, прил. 1 §2: not our competence — back to the administrator, allowed
    only within the reassignment window (30 working minutes of the assignment)."""

    def apply(case: Case, change: Change) -> None:
        if not clocks.reassign_window_open(case):
            raise StateConflict(
                _(
                    "Переназначение можно запросить только в течение 30 минут после назначения. "
                    "Свяжитесь с администратором МЦУ."
                )
            )
        change.fields.update(organisation=None, assignee=None)
        change.payload = {
            "organization": case.organisation_id,
            "organization_name": str(case.organisation or ""),
        }
        change.after.append(
            lambda case, event: clocks.cancel(case, clocks.REASSIGN_WINDOW, at=event.at)
        )
        change.notify = "request_reassignment"

    return _transition(
        case_id,
        action="request_reassignment",
        actor=actor,
        reason=reason,
        version=version,
        apply=apply,
    )


def case_give_interim_answer(
    case_id, *, actor, text: str, promised_at: datetime, version: int | None = None
) -> Case:
    """Междуреченск 3.10: an interim answer with a promised date. The answer clock is met,
    a promise clock runs to the promised date, the administrators are reminded then."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Введите текст промежуточного ответа."), field="text")
    if promised_at is None:
        raise InvalidInput(_("Укажите обещанный срок."), field="promised_at")
    if promised_at <= timezone.now():
        raise InvalidInput(_("Обещанный срок должен быть в будущем."), field="promised_at")

    def apply(case: Case, change: Change) -> None:
        if case.assignee_id is None:
            change.fields["assignee"] = actor
        # Inside the transaction: a conflict below rolls the answer back too.
        answer = Answer.objects.create(
            case=case,
            kind=Answer.Kind.INTERIM,
            text=text,
            promised_at=promised_at,
            author=actor,
            created_at=timezone.now(),
        )
        change.payload = {"answer": answer.pk, "promised_at": promised_at.isoformat()}

        def after(case: Case, event: CaseEvent) -> None:
            # Answering means the case is the executor's: the reassignment window closes.
            clocks.meet(
                case, clocks.FIRST_REPLY, clocks.ANSWER, clocks.REASSIGN_WINDOW, at=event.at
            )
            clocks.cancel(case, clocks.PROMISE, at=event.at)
            clocks.start(case, clocks.PROMISE, at=event.at, due_at=promised_at)

        change.after.append(after)
        change.notify = "interim_answer"
        change.notify_kwargs = {"promised_at": promised_at}

    return _transition(case_id, action="interim_answer", actor=actor, version=version, apply=apply)


def case_submit_answer(
    case_id, *, actor, text: str, attachments=(), version: int | None = None
) -> Case:
    """The executor's final answer, with photos and PDFs of the work done (Междуреченск,
    прил. 1 §2: «подготовка ответа с приложением фото и других документов»)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Введите текст ответа."), field="text")
    checked = attachments_check(list(attachments or []))

    def apply(case: Case, change: Change) -> None:
        answer = Answer.objects.create(
            case=case, kind=Answer.Kind.FINAL, text=text, author=actor, created_at=timezone.now()
        )
        change.payload = {"answer": answer.pk, "attachments": len(checked)}

        def after(case: Case, event: CaseEvent) -> None:
            # Files are written only once the transition has won (storage is not rolled
            # back with the transaction).
            for upload, content_type in checked:
                attachment = Attachment(
                    answer=answer,
                    content_type=content_type,
                    size=upload.size,
                    original_name=upload.name[:255],
                    uploaded_at=event.at,
                )
                attachment.file.save(upload.name, upload, save=False)
                attachment.save()

        change.after.append(after)
        change.notify = "submit_answer"

    return _transition(case_id, action="submit_answer", actor=actor, version=version, apply=apply)


def _latest_final_answer(case: Case, *statuses: str) -> Answer | None:
    return (
        case.answers.filter(kind=Answer.Kind.FINAL, status__in=statuses)
        .order_by("-created_at", "-id")
        .first()
    )


def case_approve(case_id, *, actor, version: int | None = None) -> Case:
    """The administrator's review, then the curator's approval where it is required."""

    def apply(case: Case, change: Change) -> None:
        if case.status == CaseStatus.ON_REVIEW and approval_required(case):
            change.target = CaseStatus.ON_APPROVAL
            change.notify = "to_approval"
        change.payload = {"stage": "review" if case.status == CaseStatus.ON_REVIEW else "approval"}
        if change.target == CaseStatus.APPROVED:
            change.after.append(
                lambda case, event: case.answers.filter(
                    kind=Answer.Kind.FINAL, status=Answer.Status.SUBMITTED
                ).update(status=Answer.Status.APPROVED)
            )

    return _transition(case_id, action="approve", actor=actor, version=version, apply=apply)


def case_return(case_id, *, actor, reason: str, version: int | None = None) -> Case:
    """Back to the executor «на доработку с указанием причины»; the card shows the reason."""

    def apply(case: Case, change: Change) -> None:
        def after(case: Case, event: CaseEvent) -> None:
            case.answers.filter(
                kind=Answer.Kind.FINAL,
                status__in=[Answer.Status.SUBMITTED, Answer.Status.APPROVED],
            ).update(status=Answer.Status.RETURNED, return_reason=event.reason)

        change.after.append(after)
        change.notify = "return"

    return _transition(
        case_id, action="return", actor=actor, reason=reason, version=version, apply=apply
    )


def case_publish(case_id, *, actor, version: int | None = None) -> Case:
    """The answer goes to the resident; the resident's two days begin (Междуреченск 3.6)."""

    def apply(case: Case, change: Change) -> None:
        answer = _latest_final_answer(case, Answer.Status.APPROVED, Answer.Status.SUBMITTED)
        if answer is None:
            raise StateConflict(_("Нет одобренного ответа для публикации."))
        now = timezone.now()
        change.fields["published_at"] = now
        change.payload = {"answer": answer.pk}

        def after(case: Case, event: CaseEvent) -> None:
            Answer.objects.filter(pk=answer.pk).update(
                status=Answer.Status.PUBLISHED, published_at=event.at
            )
            # Междуреченск 3.8: «срок обозначен для публикации ответа, а не только
            # подготовки текста» — the answer clock is met now.
            clocks.meet(case, clocks.ANSWER, clocks.PROMISE, at=event.at)
            clocks.start(case, clocks.REACTION, at=event.at)

        change.after.append(after)

    return _transition(case_id, action="publish", actor=actor, version=version, apply=apply)


def low_satisfaction_threshold() -> int:
    return int(getattr(settings, "LOW_SATISFACTION_THRESHOLD", DEFAULT_LOW_SATISFACTION_THRESHOLD))


def case_record_feedback(
    case_id,
    *,
    actor,
    rating: int | None = None,
    comment: str = "",
    reopen: bool | None = None,
    version: int | None = None,
) -> Case:
    """The resident's reaction to the published answer.

    Reopens the case (back to «В работе», repeat counter + 1) when the rating is at or
    below ``LOW_SATISFACTION_THRESHOLD`` (Саратов §3.6: «повторно поступившим … в случае
    представления заявителем низкой оценки удовлетворенности»), or when a comment comes
    without a good rating (Междуреченск 3.6: «если поступит комментарий от пользователя,
    то сообщение вернется в работу»). ``reopen`` overrides that for a comment that is a
    thank-you or a complaint. Otherwise the case closes.
    """
    comment = (comment or "").strip()
    if rating is not None and not 1 <= int(rating) <= 5:
        raise InvalidInput(_("Оценка — от 1 до 5."), field="rating")
    if rating is None and not comment:
        raise InvalidInput(_("Укажите оценку или комментарий заявителя."), field="rating")
    if reopen is None:
        reopen = int(rating) <= low_satisfaction_threshold() if rating is not None else True

    def apply(case: Case, change: Change) -> None:
        answer = _latest_final_answer(case, Answer.Status.PUBLISHED)
        feedback = Feedback.objects.create(
            case=case,
            answer=answer,
            rating=rating,
            comment=comment,
            reopened=reopen,
            recorded_by=actor,
            at=timezone.now(),
        )
        change.fields["satisfaction"] = rating if rating is not None else case.satisfaction
        change.payload = {
            "feedback": feedback.pk,
            "answer": getattr(answer, "pk", None),
            "rating": rating,
            "comment": comment,
        }
        if reopen:
            # Linked for analytics: the reopen event names the feedback and the answer the
            # resident did not accept; Case.repeats stays for new cases that repeat this one.
            change.target, change.event = CaseStatus.IN_PROGRESS, EventAction.REOPEN
            change.fields.update(repeat_count=case.repeat_count + 1, closed_at=None)
            change.payload["repeat"] = case.repeat_count + 1
            change.notify = "reopen"
        else:
            change.fields["closed_at"] = timezone.now()

        def after(case: Case, event: CaseEvent) -> None:
            clocks.meet(case, clocks.REACTION, at=event.at)
            if reopen:
                clocks.start(case, clocks.ANSWER, at=event.at)
            else:
                clocks.cancel(case, at=event.at)

        change.after.append(after)

    return _transition(
        case_id,
        action="feedback",
        actor=actor,
        version=version,
        apply=apply,
        reason=comment if reopen else "",
    )


def case_set_fast_track(case_id, *, actor, value: bool, version: int | None = None) -> Case:
    """The curator marks or unmarks «повышенная важность»; the clocks are recomputed
    (Междуреченск 3.8: 4 hours instead of 8 working hours)."""

    def apply(case: Case, change: Change) -> None:
        if bool(value) == case.fast_track:
            raise StateConflict(_("Отметка о повышенной важности уже такая."))
        change.fields["fast_track"] = bool(value)
        change.payload = {"value": bool(value)}
        change.after.append(lambda case, event: clocks.recompute(case))

    return _transition(case_id, action="set_fast_track", actor=actor, version=version, apply=apply)


def case_auto_close(case_id, *, at: datetime | None = None) -> Case:
    """Междуреченск 3.6: «если житель в течении двух дней не напишет комментарий, то ответ
    будет считаться готовым». Done by the desk itself: the event has no actor."""

    def apply(case: Case, change: Change) -> None:
        change.fields["closed_at"] = at or timezone.now()
        change.payload = {"reason": "no_reaction"}

        def after(case: Case, event: CaseEvent) -> None:
            clocks.meet(case, clocks.REACTION, at=event.at)
            clocks.cancel(case, at=event.at)

        change.after.append(after)

    return _transition(case_id, action="close", actor=None, apply=apply, at=at)


def _same_municipality(case: Case, **objs) -> None:
    for name, obj in objs.items():
        if obj is not None and obj.municipality_id != case.municipality_id:
            field_name = "organization" if name == "organisation" else name
            raise InvalidInput(
                _("Относится к другому муниципальному образованию."), field=field_name
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
        # Whole seconds, as in case_register.
        received_at=(received_at or timezone.now()).replace(microsecond=0),
        status=CaseStatus.NEW,
        **fields,
    )
    # The related objects come loaded from the database (the caller memoises them for a
    # batch): their existence is not asked again, once per case.
    loaded = [
        f.name
        for f in Case._meta.concrete_fields
        if f.is_relation and getattr(case, f.name) is not None
    ]
    case.full_clean(
        exclude=["search_text", *loaded], validate_unique=False, validate_constraints=False
    )
    return case


def _registration_number(case: Case) -> str:
    # The format of case_register: PREFIX-YY-000123.
    municipality = case.municipality
    prefix = municipality.registration_prefix or municipality.slug[:3].upper()
    return f"{prefix}-{case.received_at:%y}-{case.pk:06d}"


@transaction.atomic
def case_register_many(*, cases: list[Case], actor=None) -> list[Case]:
    """Register the cases made by ``case_build``: an INSERT of the cases, an UPDATE of
    their numbers, an INSERT of their first events and one of their clocks.

    Precondition: every case comes from ``case_build`` (validated, unsaved). An
    ``IntegrityError`` (an item another delivery registered meanwhile) rolls the whole
    call back; the caller then registers the items one by one.
    """
    # Imported here so that this section stays an append-only addition to the module.
    from django.db import connection

    from deadlines.bulk import deadlines_start_many

    if not cases:
        return []
    if connection.features.can_return_rows_from_bulk_insert:
        Case.objects.bulk_create(cases, batch_size=500)
    else:  # a backend that cannot say the new ids: one INSERT per case
        for case in cases:
            case.save()
    for case in cases:
        if not case.registration_number:
            case.registration_number = _registration_number(case)
        case.search_text = case_search_text(case)
    Case.objects.bulk_update(cases, ["registration_number", "search_text"], batch_size=500)
    now = timezone.now()
    CaseEvent.objects.bulk_create(
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
        batch_size=500,
    )
    _, not_started = deadlines_start_many(
        starts=[
            (case, stage, case.received_at)
            for case in cases
            for stage in clocks.REGISTRATION_STAGES.get(case.kind, (clocks.ANSWER,))
        ]
    )
    for miss in not_started:
        # No calendar for the year: clocks.start logs it and tells the heads, once a year.
        clocks.start(miss.case, miss.stage, at=miss.case.received_at)
    return cases
