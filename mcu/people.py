"""Who is responsible for a case and who is told about it — one selector (DESIGN §1).

The workflow's notices (``cases.notify``) and the deadline sweep's warnings and
escalations (``deadlines.sweep``) both ask this module, so "the executors of a case" or
"the administrators of its kind" mean the same people everywhere. A case is read through
its fields only (``municipality_id``, ``organisation_id``, ``assignee``, ``kind``): the
ground floor knows no workflow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from .choices import Role
from .models import User

__all__ = ["CasePeople", "people_for_case", "people_for_cases"]


@dataclass
class CasePeople:
    """The people around one case."""

    #: the executor who took the case into work, if still active
    assignee: User | None = None
    #: every active executor of the case's organisation
    executors: list[User] = field(default_factory=list)
    #: heads of the executor organisation (``is_organisation_head``): first escalation
    org_heads: list[User] = field(default_factory=list)
    #: the centre's administrators who coordinate the case's kind
    administrators: list[User] = field(default_factory=list)
    #: heads of the centre (руководитель МЦУ)
    mcu_heads: list[User] = field(default_factory=list)
    curators: list[User] = field(default_factory=list)

    @property
    def responsible(self) -> list[User]:
        """Who answers for the case now: the assignee, else the whole organisation."""
        return [self.assignee] if self.assignee is not None else list(self.executors)


def people_for_cases(cases: Iterable) -> dict[int, CasePeople]:
    """``case.pk → CasePeople`` for many cases, in one query for all of them."""
    cases = list(cases)
    org_ids = {c.organisation_id for c in cases if c.organisation_id}
    mun_ids = {c.municipality_id for c in cases}
    by_org_exec, by_org_head = defaultdict(list), defaultdict(list)
    by_mun: dict[str, defaultdict] = {r: defaultdict(list) for r in ("adm", "head", "cur")}
    users = User.objects.filter(is_active=True).filter(
        Q(organisation_id__in=org_ids)
        | Q(municipality_id__in=mun_ids, role__in=[Role.ADMINISTRATOR, Role.HEAD, Role.CURATOR])
    )
    for user in users.order_by("pk"):
        if user.organisation_id in org_ids:
            if user.is_organisation_head:
                by_org_head[user.organisation_id].append(user)
            if user.role == Role.EXECUTOR:
                by_org_exec[user.organisation_id].append(user)
        if user.municipality_id in mun_ids:
            key = {Role.ADMINISTRATOR: "adm", Role.HEAD: "head", Role.CURATOR: "cur"}.get(user.role)
            if key:
                by_mun[key][user.municipality_id].append(user)
    result = {}
    for case in cases:
        assignee = case.assignee if case.assignee_id else None
        org, mun = case.organisation_id, case.municipality_id
        result[case.pk] = CasePeople(
            assignee=assignee if assignee is not None and assignee.is_active else None,
            executors=list(by_org_exec[org]) if org else [],
            org_heads=list(by_org_head[org]) if org else [],
            administrators=[u for u in by_mun["adm"][mun] if case.kind in u.coordinated_kinds],
            mcu_heads=list(by_mun["head"][mun]),
            curators=list(by_mun["cur"][mun]),
        )
    return result


def people_for_case(case) -> CasePeople:
    return people_for_cases([case])[case.pk]
