"""Reads of leads and of their assignment and scoring rules, scoped to the user."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from crm_site.access import Action, Role, Scope, record_scope, scope_queryset, team_member_ids
from crm_site.models import User
from customers.models import Customer
from customers.selectors import customers_for
from sales.models import Activity, AssignmentRule, DisqualifyReason, Lead, LeadAssignment, ScoringRule
from sales.services.lead_rules import ScoreLine, active_scoring_rules, score_breakdown
from sales.services.leads import lead_duplicate_candidates

FAMILY = "sales"
DETAIL_ACTIVITIES = 50  # the lead page lists this many activities, latest first


def leads_for(*, user: User, action: Action = Action.VIEW) -> QuerySet[Lead]:
    """Every lead ``user`` may see (or change): a rep their own, a manager their team's and the
    unassigned ones (no owner, no team: a web lead no rule matched), which would otherwise reach
    nobody but the admins."""
    scoped = scope_queryset(Lead.objects.all(), user, FAMILY, action, owner_field="owner", team_field="team")
    if record_scope(user, FAMILY, action) == Scope.TEAM:
        return scoped | Lead.objects.filter(owner__isnull=True, team__isnull=True)
    return scoped


def sees_unassigned_leads(*, user: User) -> bool:
    """Managers and admins look after the leads nobody owns."""
    return record_scope(user, FAMILY, Action.VIEW) >= Scope.TEAM


def lead_list_queryset(*, user: User) -> QuerySet[Lead]:
    """The list's and the export's rows, with what each row shows, in a fixed number of queries."""
    return leads_for(user=user).select_related("owner", "source")


def lead_get(*, user: User, pk: int, action: Action = Action.VIEW) -> Lead:
    """One lead with what its page shows, or 404 (403 when seen but not changeable)."""
    related = ("owner", "team", "source", "disqualify_reason", "customer", "opportunity", "assignment_rule")
    lead = get_object_or_404(leads_for(user=user).select_related(*related, "created_by"), pk=pk)
    if Action(action) == Action.CHANGE and not can_change_lead(user=user, lead=lead):
        raise PermissionDenied
    return lead


def can_change_lead(*, user: User, lead: Lead) -> bool:
    return leads_for(user=user, action=Action.CHANGE).filter(pk=lead.pk).exists()


def can_reassign_leads(*, user: User) -> bool:
    """Managers (team scope) and admins hand leads over; reps work the leads they are given."""
    return record_scope(user, FAMILY, Action.CHANGE) >= Scope.TEAM


def sales_staff() -> QuerySet[User]:
    """Active users with a sales role: who may own leads."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[Role.SALES_REP, Role.MANAGER, Role.ADMIN])
        .distinct()
        .order_by("first_name", "username")
    )


def reassign_targets(*, user: User) -> QuerySet[User]:
    """Who ``user`` may hand a lead to: active sales staff within their scope."""
    staff = sales_staff()
    scope = record_scope(user, FAMILY, Action.CHANGE)
    if scope == Scope.ALL:
        return staff
    if scope == Scope.TEAM:
        return staff.filter(pk__in=team_member_ids(user))
    return staff.none()


def lead_owner_choices(*, user: User) -> QuerySet[User]:
    """The owners the list's filter offers: the user alone for a rep, their team for a manager."""
    scope = record_scope(user, FAMILY, Action.VIEW)
    if scope == Scope.OWN:
        return User.objects.filter(pk=user.pk)
    return reassign_targets(user=user)


@dataclass
class LeadDetail:
    lead: Lead
    assignments: list[LeadAssignment]
    activities: list[Activity]
    score_lines: list[ScoreLine]
    contacts: int
    disqualify_reasons: list[DisqualifyReason]

    @property
    def computed_score(self) -> int:
        return sum(line.points for line in self.score_lines)


def lead_detail_data(*, lead: Lead) -> LeadDetail:
    """Everything the lead page shows besides the lead: its hand-overs, its activities (one query,
    which also gives the engagement count of the score) and the score line by line."""
    assignments = list(lead.assignments.select_related("from_user", "to_user", "rule", "assigned_by"))
    activities = list(
        Activity.objects.filter(lead=lead).select_related("assignee").order_by("-due_at", "-id")[:DETAIL_ACTIVITIES]
    )
    contacts = sum(1 for activity in activities if activity.status == Activity.Status.DONE)
    if len(activities) == DETAIL_ACTIVITIES:
        contacts = Activity.objects.filter(lead=lead, status=Activity.Status.DONE).count()
    return LeadDetail(
        lead=lead,
        assignments=assignments,
        activities=activities,
        score_lines=score_breakdown(lead=lead, rules=active_scoring_rules(), contacts=contacts),
        contacts=contacts,
        disqualify_reasons=list(DisqualifyReason.objects.filter(is_active=True)),
    )


def convert_candidates(*, user: User, lead: Lead) -> tuple[list, QuerySet[Customer]]:
    """The likely duplicates of the lead among existing customers, and which of them ``user`` may
    open (the others are named so the rep knows, but cannot be picked)."""
    candidates = lead_duplicate_candidates(lead=lead)
    visible = customers_for(user=user).filter(pk__in=[candidate.customer.pk for candidate in candidates])
    return candidates, visible


def assignment_rules() -> QuerySet[AssignmentRule]:
    return AssignmentRule.objects.select_related("team", "last_assigned").prefetch_related("sources", "users")


def scoring_rules() -> QuerySet[ScoringRule]:
    return ScoringRule.objects.select_related("source")
