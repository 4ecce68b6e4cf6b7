"""Drives a demo case to a target status.

TEMPORARY: sets fields directly; to be replaced by calls to the workflow services."""

from cases.choices import CaseStatus, EventAction
from cases.services import event_record

REACHABLE_STATUSES = [
    CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS, CaseStatus.ON_REVIEW, CaseStatus.ON_APPROVAL,
    CaseStatus.APPROVED, CaseStatus.PUBLISHED, CaseStatus.CLOSED, CaseStatus.REJECTED,
]
WEIGHTED_STATUSES = (
    [CaseStatus.CLOSED] * 8 + [CaseStatus.PUBLISHED] * 3 + [CaseStatus.IN_PROGRESS] * 3
    + [CaseStatus.ASSIGNED] * 2 + [CaseStatus.ON_REVIEW] * 2 + [CaseStatus.REJECTED]
    + [CaseStatus.NEW]
)


def advance(case, status, *, users, organisation, category, district, rng) -> None:
    if status == CaseStatus.NEW:
        return
    if status == CaseStatus.REJECTED:
        case.status = status
        case.save(update_fields=["status"])
        event_record(case=case, action=EventAction.REJECT, actor=users["administrator"],
                     from_status=CaseStatus.NEW, to_status=status, reason="Спам")
        return
    case.organisation, case.category, case.district = organisation, category, district
    case.status = status
    case.save(update_fields=["organisation", "category", "district", "status"])
    event_record(case=case, action=EventAction.ASSIGN, actor=users["administrator"],
                 from_status=CaseStatus.NEW, to_status=status)
