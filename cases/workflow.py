"""The case lifecycle as data (DESIGN §3, STYLE §6.3).

``TRANSITIONS`` says, for every action, from which statuses it may be taken, where it
leads, which roles may take it and whether a reason is required. The services in
``cases/services.py`` read this table, and so do the card (which buttons to show) and the
API (``allowed_actions``): one source of truth for all three.

An action may have several rows, one per group of source statuses, when the roles or the
target differ by the status (``approve`` by the administrator on review, by the curator on
approval).

Roles (DESIGN §1):
- administrator (of the case's kind) registers appeals, moderates, assigns, forwards,
  reviews and publishes answers (interim ones too), records the resident's reaction, and
  may only *propose* fast-track;
- head has every operational right of the administrator, marks fast-track and extends an
  appeal's term (59-ФЗ ст. 12 ч. 2);
- curator marks fast-track (Междуреченск 3.8) and approves where the (municipality, kind)
  requires it;
- executor accepts, asks for reassignment, answers — only cases of their organisation
  (``Case.objects.visible_to`` already hides the others);
- integration only pushes the resident's reaction;
- observer takes no action.

What the regulations add beyond «who, from which status» (an appeal not registered yet, a
reassignment window closed, one extension only) is checked by the services
(``cases.services._refusal``); the card and the API's ``allowed_actions`` ask the same.
"""

from dataclasses import dataclass

from mcu.choices import Role

from .choices import CaseStatus as S
from .choices import EventAction

__all__ = [
    "ACTIONS",
    "SYSTEM",
    "TRANSITIONS",
    "Transition",
    "roles_of",
    "transition_for",
]

#: the pseudo-role of work the desk does by itself (auto-close after the reaction wait)
SYSTEM = "system"

ADMINS = frozenset({Role.ADMINISTRATOR, Role.HEAD})
EXECUTORS = frozenset({Role.EXECUTOR})
CURATORS = frozenset({Role.CURATOR})


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    #: the status the case goes to; ``None`` keeps it (interim answer, fast-track)
    target: str | None
    roles: frozenset[str]
    needs_reason: bool = False
    #: the audit trail's action for this row
    event: str = ""


def _t(sources, target, roles, *, reason=False, event=""):
    return Transition(frozenset(sources), target, frozenset(roles), reason, event)


OPEN = S.open_values()

MESSAGE_WORK = [S.ASSIGNED, S.IN_PROGRESS, S.ON_REVIEW, S.ON_APPROVAL, S.APPROVED]

TRANSITIONS: dict[str, tuple[Transition, ...]] = {
    # 59-ФЗ ст. 8 ч. 2: «Письменное обращение подлежит обязательной регистрации в течение
    # трех дней с момента поступления». Appeals only; the number and date are recorded and
    # the 30 days of ст. 12 run from that date (Лабытнанги 3.4.2 д).
    "register_appeal": (_t([S.NEW], None, ADMINS, event=EventAction.REGISTER_APPEAL),),
    # Moderation: the administrator structures the item and names the executor. Re-assigning
    # before the executor accepted is allowed (a wrong organisation is fixed at once).
    "assign": (_t([S.NEW, S.ASSIGNED], S.ASSIGNED, ADMINS, event=EventAction.ASSIGN),),
    # Spam, not our competence, duplicate of #N: the reason is required.
    "reject": (_t([S.NEW, S.ASSIGNED], S.REJECTED, ADMINS, reason=True, event=EventAction.REJECT),),
    # 59-ФЗ ст. 8 ч. 3: «направляется в течение семи дней со дня регистрации в
    # соответствующий орган … в компетенцию которых входит решение поставленных в
    # обращении вопросов, с уведомлением гражданина». Closed here as forwarded.
    "forward": (_t([S.NEW, S.ASSIGNED], S.FORWARDED, ADMINS, event=EventAction.FORWARD),),
    "accept": (_t([S.ASSIGNED], S.IN_PROGRESS, EXECUTORS, event=EventAction.ACCEPT),),
    # Междуреченск, прил. 1 §2: «В случае если инцидент не относится к компетенциям
    # организации, необходимо оперативно (в течение 30 минут) связаться со специалистом …
    # для переназначения исполнителя». Back to «Новое»: the administrator reassigns.
    # The 30-minute window is checked by the service (the reassign_window clock). The
    # competence is checked before accepting (DESIGN §3): accepting closes the window.
    "request_reassignment": (
        _t(
            [S.ASSIGNED],
            S.NEW,
            EXECUTORS,
            reason=True,
            event=EventAction.REQUEST_REASSIGNMENT,
        ),
    ),
    # Междуреченск 3.10: «В случае невозможности дать ответ в указанные сроки, необходимо
    # предоставить промежуточный ответ». The executor writes it (accepting the case if it
    # was not accepted yet); it reaches the resident only through the administrator.
    "interim_answer": (
        _t([S.ASSIGNED, S.IN_PROGRESS], S.IN_PROGRESS, EXECUTORS, event=EventAction.INTERIM_ANSWER),
    ),
    # Междуреченск 3.8: «срок обозначен для публикации ответа, а не только подготовки
    # текста» — an interim answer is reviewed and published like a final one (3.6), and
    # only its publication meets the first reply and the answer clock.
    "publish_interim": (_t(MESSAGE_WORK, None, ADMINS, event=EventAction.PUBLISH_INTERIM),),
    "return_interim": (
        _t(MESSAGE_WORK, None, ADMINS, reason=True, event=EventAction.RETURN_INTERIM),
    ),
    "submit_answer": (
        _t([S.IN_PROGRESS], S.ON_REVIEW, EXECUTORS, event=EventAction.SUBMIT_ANSWER),
    ),
    # The administrator's review; the target is «На согласовании» instead when the
    # (municipality, kind) requires the curator's approval (ApprovalRequirement).
    "approve": (
        _t([S.ON_REVIEW], S.APPROVED, ADMINS, event=EventAction.APPROVE),
        # Междуреченск 3.6: «специалист … отправляет ответ … на согласование, при
        # положительном решении кураторы … отправляют сообщение на оценку удовлетворенности».
        _t([S.ON_APPROVAL], S.APPROVED, CURATORS, event=EventAction.APPROVE),
    ),
    # «Если ответ не подходит … он возвращается исполнителю на доработку с указанием
    # причины» (Междуреченск, прил. 1 §2).
    "return": (
        _t([S.ON_REVIEW, S.APPROVED], S.IN_PROGRESS, ADMINS, reason=True, event=EventAction.RETURN),
        _t(
            [S.ON_APPROVAL],
            S.IN_PROGRESS,
            CURATORS | {Role.HEAD},
            reason=True,
            event=EventAction.RETURN,
        ),
    ),
    # An appeal's answer closes it (59-ФЗ knows no resident-reaction wait).
    "publish": (_t([S.APPROVED], S.PUBLISHED, ADMINS, event=EventAction.PUBLISH),),
    # The resident's reaction, typed in by the administrator or pushed by the integration.
    # The target is decided by the reaction: «Закрыто», or back to work (event «reopen»).
    # After the two days (a closed case) it is recorded and shown, and reopens nothing.
    "feedback": (
        _t(
            [S.PUBLISHED, S.CLOSED],
            S.CLOSED,
            ADMINS | {Role.INTEGRATION},
            event=EventAction.FEEDBACK,
        ),
    ),
    # Междуреченск 3.8: «Повышенная важность определяется куратором».
    "set_fast_track": (_t(OPEN, None, CURATORS | {Role.HEAD}, event=EventAction.SET_FAST_TRACK),),
    # 59-ФЗ ст. 12 ч. 2: «руководитель … вправе продлить срок рассмотрения обращения не
    # более чем на 30 дней, уведомив о продлении срока его рассмотрения гражданина».
    "extend": (_t(MESSAGE_WORK, None, {Role.HEAD}, reason=True, event=EventAction.EXTEND),),
    # One pothole, forty posts: the answer published on the cluster's main case goes to
    # every other post of the confirmed cluster, and meets its clocks (channels.clusters).
    # Not a button of its own on the card: the cluster panel takes it for all members.
    "cluster_answer": (
        _t(
            [S.NEW, *MESSAGE_WORK],
            S.PUBLISHED,
            ADMINS,
            event=EventAction.CLUSTER_ANSWER,
        ),
    ),
    # Moderation corrects the category alone (the list's bulk bar), before the executor
    # accepts: the running clocks re-select their policies as at assignment (Лабытнанги
    # 3.4.2 в). Not a button of its own on the card: there the category is set by «assign».
    "set_category": (_t([S.NEW, S.ASSIGNED], None, ADMINS, event=EventAction.EDIT),),
    # Междуреченск 3.6: «если житель в течении двух дней не напишет комментарий, то ответ
    # будет считаться готовым». Done by the desk itself (cases.close_unreacted).
    "close": (_t([S.PUBLISHED], S.CLOSED, [SYSTEM], event=EventAction.CLOSE),),
}

#: rows of the table that are not buttons of the card (the desk's own step, the cluster
#: panel's answer, the list's bulk category)
NOT_ON_THE_CARD = ("close", "cluster_answer", "set_category")

#: every action users can take, in the order the card shows them
ACTIONS: list[str] = [a for a in TRANSITIONS if a not in NOT_ON_THE_CARD]


def transition_for(action: str, status: str) -> Transition | None:
    """The row of ``action`` that applies in ``status``, or None if none does."""
    for row in TRANSITIONS[action]:
        if status in row.sources:
            return row
    return None


def roles_of(action: str) -> frozenset[str]:
    """Every role that may take ``action`` in some status."""
    return frozenset().union(*(row.roles for row in TRANSITIONS[action]))
