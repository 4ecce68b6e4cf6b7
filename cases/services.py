"""Writes of cases. Services are the only writers (STYLE §6.2)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from mcu.models import Municipality
from mcu.text import fold

from .choices import CaseStatus, EventAction
from .models import Case, CaseEvent


def case_search_text(case: Case) -> str:
    parts = [case.registration_number, case.text, case.address, case.external_id]
    return fold(" ".join(p for p in parts if p))


def event_record(
    *, case: Case, action: str, actor=None, from_status: str = "", to_status: str = "",
    reason: str = "", payload: dict | None = None, at: datetime | None = None,
) -> CaseEvent:
    """Append one line to the audit trail. Call inside the transaction of the change."""
    return CaseEvent.objects.create(
        case=case, action=action, actor=actor, from_status=from_status, to_status=to_status,
        reason=reason, payload=payload or {}, at=at or timezone.now(),
    )


@transaction.atomic
def case_register(
    *, municipality: Municipality, kind: str, channel: str, text: str, actor=None,
    received_at: datetime | None = None, **fields,
) -> Case:
    """Register a new case in status «Новое» and write its first event.

    ``fields`` are other Case fields (author, address, category…). Validation errors are
    raised before anything is written.
    """
    case = Case(
        municipality=municipality, kind=kind, channel=channel, text=text,
        received_at=received_at or timezone.now(), status=CaseStatus.NEW, **fields,
    )
    case.full_clean(exclude=["search_text"])
    case.save()
    if not case.registration_number:
        prefix = municipality.registration_prefix or municipality.slug[:3].upper()
        case.registration_number = f"{prefix}-{case.received_at:%y}-{case.pk:06d}"
    case.search_text = case_search_text(case)
    case.save(update_fields=["registration_number", "search_text"])
    event_record(
        case=case, action=EventAction.REGISTER, actor=actor, to_status=CaseStatus.NEW,
        payload={"kind": kind, "channel": channel, "source": case.source},
    )
    return case
