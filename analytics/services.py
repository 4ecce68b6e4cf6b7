"""The note's lifecycle — the only writers of ``WeeklyNote`` (STYLE §6.2).

draft → approved → published. The head of the centre writes «причина и предлагаемое
решение» for each TOP problem of a draft; the curator approves it (Ставрополь п. 11 1):
the note is «для представления главе») and publishes it. An approved note is frozen: its
content is the snapshot taken at build time, and a late answer or a re-categorised case
changes only a new revision (``note_revise``), never the approved one.

Each change writes one ``NoteEvent`` (the note's audit trail) in its own transaction and
uses a compare-and-swap on the status, so two curators approving at once approve once.
The curators are told when a draft is ready through the notification outbox
(``mcu.notifications.notify``: one row per recipient and revision; e-mail and Telegram
are delivered by the beat task every minute).
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mcu.choices import Role
from mcu.exceptions import InvalidInput, NotAllowed, NotFound, StateConflict
from mcu.models import Municipality, User
from mcu.notifications import notify

from .models import NoteEvent, NoteKind, NoteStatus, WeeklyNote
from .notes import TITLES, note_content_build, note_period

#: who may read notes (an executor sees only their organisation: never a whole note)
NOTE_READERS = (Role.CURATOR, Role.HEAD, Role.ADMINISTRATOR, Role.OBSERVER)
CAUSE_MAX = 2000


class NoteFrozen(StateConflict):
    default_message = _("Записка уже утверждена: изменить можно только новую редакцию.")


def note_get_for_user(*, user, pk: int) -> WeeklyNote:
    """The only route from a pk to a note: 404 for a note outside the user's scope."""
    if not (user.is_superuser or user.has_role(*NOTE_READERS)):
        raise NotFound()
    note = (
        WeeklyNote.objects.filter(municipality__in=Municipality.objects.visible_to(user))
        .select_related("municipality", "approved_by", "published_by", "built_by")
        .filter(pk=pk)
        .first()
    )
    if note is None:
        raise NotFound()
    return note


def note_list_for_user(*, user):
    if not (user.is_superuser or user.has_role(*NOTE_READERS)):
        return WeeklyNote.objects.none()
    return WeeklyNote.objects.filter(
        municipality__in=Municipality.objects.visible_to(user)
    ).select_related("municipality", "approved_by")


def _event(note: WeeklyNote, action: str, actor, at: datetime, **payload) -> None:
    NoteEvent.objects.create(note=note, action=action, actor=actor, at=at, payload=payload)


def _curators(municipality: Municipality) -> list[User]:
    return list(
        User.objects.filter(is_active=True, municipality=municipality, role=Role.CURATOR).order_by(
            "pk"
        )
    )


def _tell_curators(note: WeeklyNote) -> None:
    notify(
        recipients=_curators(note.municipality),
        event="note.ready",
        subject=f"{note.pk}:{note.revision}",
        title=_("Готов проект записки: %(title)s, %(mun)s, %(period)s")
        % {"title": TITLES[note.kind], "mun": note.municipality, "period": note.period},
        body=_("Прочитайте и утвердите записку в разделе «Аналитика → Записки»."),
        url=reverse("analytics:note", args=[note.pk]),
    )


def note_create(
    *,
    municipality: Municipality,
    kind: str,
    period: str,
    actor: User | None = None,
    now: datetime | None = None,
) -> tuple[WeeklyNote, bool]:
    """The first revision of a period's note, or the existing one: ``(note, created)``.

    Idempotent — beat may run twice, the command may race beat: the unique constraint
    (municipality, kind, first day, revision) lets one revision 1 through."""
    if kind not in NoteKind.values:
        raise InvalidInput(_("Неизвестный вид записки."), field="kind")
    try:
        dates = note_period(kind, period)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="period") from None
    existing = WeeklyNote.objects.filter(
        municipality=municipality, kind=kind, date_from=dates.date_from
    ).order_by("-revision")
    if (note := existing.first()) is not None:
        return note, False
    now = now or timezone.now()
    content = note_content_build(municipality=municipality, kind=kind, period=dates, now=now)
    try:
        with transaction.atomic():
            note = WeeklyNote.objects.create(
                municipality=municipality,
                kind=kind,
                period=period,
                date_from=dates.date_from,
                date_to=dates.date_to,
                content=content,
                built_at=now,
                built_by=actor,
            )
            _event(note, "build", actor, now, revision=1)
            _tell_curators(note)
    except IntegrityError:
        # Someone else built it between our check and our insert.
        return existing.first(), False
    return note, True


@transaction.atomic
def note_revise(*, pk: int, actor: User, now: datetime | None = None) -> WeeklyNote:
    """A new revision of an approved or published note, built afresh from today's data;
    the head's causes are carried over. The frozen revisions stay as they are."""
    note = note_get_for_user(user=actor, pk=pk)
    if not (actor.is_superuser or actor.has_role(Role.CURATOR, Role.HEAD)):
        raise NotAllowed()
    siblings = WeeklyNote.objects.filter(
        municipality=note.municipality, kind=note.kind, date_from=note.date_from
    )
    latest = siblings.order_by("-revision").first()
    if latest.status == NoteStatus.DRAFT:
        raise StateConflict(_("Последняя редакция ещё не утверждена: правьте её."))
    now = now or timezone.now()
    content = note_content_build(
        municipality=note.municipality,
        kind=note.kind,
        period=note_period(note.kind, note.period),
        now=now,
    )
    revision = (siblings.aggregate(m=Max("revision"))["m"] or 0) + 1
    try:
        with transaction.atomic():
            new = WeeklyNote.objects.create(
                municipality=note.municipality,
                kind=note.kind,
                period=note.period,
                date_from=note.date_from,
                date_to=note.date_to,
                revision=revision,
                content=content,
                causes=dict(latest.causes),
                built_at=now,
                built_by=actor,
            )
    except IntegrityError:
        raise StateConflict(_("Новую редакцию уже создал другой пользователь.")) from None
    _event(new, "revise", actor, now, revision=revision, previous=latest.pk)
    _tell_curators(new)
    return new


def _swap(note: WeeklyNote, *, from_status: str, **fields) -> None:
    """Compare-and-swap on the status: 0 rows means someone acted first."""
    if WeeklyNote.objects.filter(pk=note.pk, status=from_status).update(**fields) != 1:
        raise NoteFrozen() if from_status == NoteStatus.DRAFT else StateConflict()
    for name, value in fields.items():
        setattr(note, name, value)


@transaction.atomic
def note_set_causes(
    *, pk: int, actor: User, causes: dict[str, str], now: datetime | None = None
) -> WeeklyNote:
    """The head writes «причина и предлагаемое решение» for the TOP problems of a draft."""
    note = note_get_for_user(user=actor, pk=pk)
    if not (actor.is_superuser or actor.has_role(Role.HEAD)):
        raise NotAllowed()
    if note.status != NoteStatus.DRAFT:
        raise NoteFrozen()
    allowed = {str(t["category"]) for t in note.content.get("top", [])}
    clean = {}
    for key, text in causes.items():
        key = str(key)
        if key not in allowed:
            raise InvalidInput(_("Это не проблема из ТОП записки."), field=f"cause_{key}")
        text = (text or "").strip()
        if len(text) > CAUSE_MAX:
            raise InvalidInput(
                _("Не длиннее %(n)s знаков.") % {"n": CAUSE_MAX}, field=f"cause_{key}"
            )
        if text:
            clean[key] = text
    now = now or timezone.now()
    _swap(note, from_status=NoteStatus.DRAFT, causes=clean)
    _event(note, "causes", actor, now, categories=sorted(clean))
    return note


@transaction.atomic
def note_approve(*, pk: int, actor: User, now: datetime | None = None) -> WeeklyNote:
    """The curator approves a draft: from now on it is frozen."""
    note = note_get_for_user(user=actor, pk=pk)
    if not (actor.is_superuser or actor.has_role(Role.CURATOR)):
        raise NotAllowed(_("Утверждает записку куратор."))
    now = now or timezone.now()
    _swap(
        note,
        from_status=NoteStatus.DRAFT,
        status=NoteStatus.APPROVED,
        approved_at=now,
        approved_by=actor,
    )
    _event(note, "approve", actor, now)
    return note


@transaction.atomic
def note_publish(*, pk: int, actor: User, now: datetime | None = None) -> WeeklyNote:
    """The curator publishes an approved note (it is presented to the head of the
    municipality)."""
    note = note_get_for_user(user=actor, pk=pk)
    if not (actor.is_superuser or actor.has_role(Role.CURATOR)):
        raise NotAllowed(_("Публикует записку куратор."))
    if note.status == NoteStatus.DRAFT:
        raise StateConflict(_("Сначала записку нужно утвердить."))
    now = now or timezone.now()
    _swap(
        note,
        from_status=NoteStatus.APPROVED,
        status=NoteStatus.PUBLISHED,
        published_at=now,
        published_by=actor,
    )
    _event(note, "publish", actor, now)
    return note
