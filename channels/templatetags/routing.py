"""The routing panel of the case card (``templates/cases/_routing_panel.html``): what the
auto-rules did, the routing suggestions, the problem cluster and the repeat link."""

from django import template

from cases.choices import EventAction
from cases.models import Case, CaseEvent
from cases.services import case_allowed_actions, case_role_may
from channels.clusters import cluster_for_case
from channels.models import ClusterMembership, ProblemCluster
from channels.suggestions import routing_suggest
from mcu.models import Organisation

register = template.Library()


@register.simple_tag
def routing_panel(case, user) -> dict:
    """Everything the panel shows, for a user who moderates; ``{}`` for anyone else (an
    executor or an observer sees the rules' events in the case's history)."""
    if not case_role_may(user, "assign"):
        return {}
    may_assign = "assign" in case_allowed_actions(user, case)
    event = (
        CaseEvent.objects.filter(case=case, action=EventAction.AUTO_RULE)
        .order_by("-at", "-id")
        .first()
    )
    rules = event.payload if event else None
    rule_org = None
    if rules and rules.get("organization"):
        rule_org = Organisation.objects.filter(pk=rules["organization"], is_active=True).first()
    cluster = cluster_for_case(case=case)
    members = []
    if cluster is not None:
        # Only the posts this user sees (an administrator coordinates some kinds only).
        members = list(
            ClusterMembership.objects.filter(
                cluster=cluster, case__in=Case.objects.visible_to(user)
            )
            .select_related("case")
            .order_by("case__received_at", "case_id")
        )
    return {
        "show": True,
        "may_assign": may_assign,
        "rules": rules,
        "rule_org": rule_org if may_assign else None,
        "suggestions": routing_suggest(case) if may_assign and case.status == "new" else [],
        "cluster": cluster,
        "members": members,
        "confirmed": cluster is not None and cluster.status == ProblemCluster.Status.CONFIRMED,
        "is_primary": cluster is not None and cluster.primary_id == case.pk,
    }
