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


def _cluster_of(case):
    """``cluster_for_case`` once per rendering: the routing panel and the «add to a
    cluster» form of the same card ask for it (one query, not two)."""
    if "_desk_cluster" not in case.__dict__:
        case.__dict__["_desk_cluster"] = cluster_for_case(case=case)
    return case.__dict__["_desk_cluster"]


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
    cluster = _cluster_of(case)
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


@register.simple_tag
def cluster_add_panel(case, user) -> dict:
    """The card's «add to a cluster» form (``templates/channels/_cluster_add.html``), for
    a user who moderates the case: on a member's card, a field for the post to add; on
    the card of a post in no cluster and not answered yet, the clusters it may join."""
    from channels.clusters import UNANSWERED, clusters_to_join

    if not case_role_may(user, "assign"):
        return {}
    cluster = _cluster_of(case)
    if cluster is not None:
        return {"show": True, "cluster": cluster}
    if case.status not in UNANSWERED:
        return {}
    choices = clusters_to_join(case=case, user=user)
    return {"show": bool(choices), "choices": choices}
