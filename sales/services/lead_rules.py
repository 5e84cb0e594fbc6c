"""Writes and computations behind lead assignment and lead scoring, and their setup pages.

Assignment: active rules are tried in priority order; the first whose provinces and sources
match picks the owner (round-robin or fixed). Scoring: every active scoring rule a lead meets
adds its points; the breakdown is kept so a page can explain the score line by line.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm_site.access import Role
from crm_site.models import Team, User
from customers.models import Source
from sales.models import Activity, AssignmentRule, Lead, ScoringRule

# --- assignment ------------------------------------------------------------------------------


def rule_matches(*, rule: AssignmentRule, lead: Lead, source_ids: Iterable[int]) -> bool:
    """Empty conditions match every lead; ``source_ids`` are the rule's sources (prefetched)."""
    source_ids = set(source_ids)
    if rule.provinces and lead.province not in rule.provinces:
        return False
    return not source_ids or lead.source_id in source_ids


def rule_candidates(*, rule: AssignmentRule) -> list[User]:
    """Who the rule hands leads to, in a stable order: its listed reps, or else the active
    members of its team who have the Sales rep role."""
    listed = list(rule.users.filter(is_active=True).order_by("pk"))
    if listed or rule.team_id is None:
        return listed
    return list(
        User.objects.filter(is_active=True, team_id=rule.team_id, groups__name=Role.SALES_REP.value)
        .distinct()
        .order_by("pk")
    )


def _next_in_turn(candidates: Sequence[User], last_id: int | None) -> User:
    """The candidate after ``last_id`` (by id), wrapping around; the first when none was given
    or the previous one has left the list."""
    if last_id is not None:
        for candidate in candidates:
            if candidate.pk > last_id:
                return candidate
    return candidates[0]


def assignment_pick(*, lead: Lead) -> tuple[User | None, AssignmentRule | None]:
    """The owner the rules give ``lead`` and the rule that gave it (``(None, None)`` when no rule
    matches or the matching rule has nobody to give it to). Must run inside a transaction: a
    round-robin rule is locked so that two leads arriving at once go to two different reps."""
    rules = AssignmentRule.objects.filter(is_active=True).prefetch_related("sources").order_by("priority", "id")
    for rule in rules:
        if not rule_matches(rule=rule, lead=lead, source_ids=[source.pk for source in rule.sources.all()]):
            continue
        if rule.method == AssignmentRule.Method.FIXED:
            candidates = rule_candidates(rule=rule)
            return (candidates[0], rule) if candidates else (None, rule)
        locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
        candidates = rule_candidates(rule=locked)
        if not candidates:
            return None, rule
        chosen = _next_in_turn(candidates, locked.last_assigned_id)
        AssignmentRule.objects.filter(pk=locked.pk).update(last_assigned=chosen)
        return chosen, locked
    return None, None


@transaction.atomic
def assignment_rule_save(
    *,
    rule: AssignmentRule,
    provinces: Sequence[str],
    sources: Iterable[Source],
    users: Iterable[User],
    team: Team | None,
) -> AssignmentRule:
    """Create or change a rule. A rule must have somebody to give leads to."""
    users = list(users)
    rule.provinces = sorted(set(provinces))
    rule.team = team
    if not users and team is None:
        raise ValidationError({"users": _("List the reps who get the leads, or choose a team.")})
    rule.full_clean()
    rule.save()
    rule.sources.set(sources)
    rule.users.set(users)
    return rule


@transaction.atomic
def assignment_rule_set_active(*, rule: AssignmentRule, is_active: bool) -> AssignmentRule:
    rule.is_active = is_active
    rule.save(update_fields=["is_active"])
    return rule


# --- scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreLine:
    rule: ScoringRule
    met: bool

    @property
    def points(self) -> int:
        return self.rule.points if self.met else 0


def rule_met(*, rule: ScoringRule, lead: Lead, contacts: int) -> bool:
    """Does ``lead`` (with ``contacts`` logged contacts) meet one scoring rule?"""
    criterion = ScoringRule.Criterion
    threshold = rule.threshold if rule.threshold is not None else Decimal(0)
    match rule.criterion:
        case criterion.SOURCE:
            return rule.source_id is not None and lead.source_id == rule.source_id
        case criterion.HAS_PHONE:
            return bool(lead.phone)
        case criterion.HAS_EMAIL:
            return bool(lead.email)
        case criterion.HAS_COMPANY:
            return bool(lead.company.strip())
        case criterion.HAS_INTEREST:
            return bool(lead.interest.strip())
        case criterion.VALUE_AT_LEAST:
            return lead.estimated_value is not None and lead.estimated_value >= threshold
        case criterion.ACTIVITIES_AT_LEAST:
            return contacts >= threshold
        case criterion.PROVINCE:
            return bool(rule.province) and lead.province == rule.province
    return False


def active_scoring_rules() -> list[ScoringRule]:
    return list(ScoringRule.objects.filter(is_active=True).select_related("source").order_by("criterion", "id"))


def logged_contacts(*, lead: Lead) -> int:
    """Engagement: the lead's activities marked done (calls made, meetings held)."""
    if lead.pk is None:
        return 0
    return Activity.objects.filter(lead=lead, status=Activity.Status.DONE).count()


def score_breakdown(*, lead: Lead, rules: Sequence[ScoringRule], contacts: int) -> list[ScoreLine]:
    """Every rule with whether the lead meets it: what the lead page explains."""
    return [ScoreLine(rule=rule, met=rule_met(rule=rule, lead=lead, contacts=contacts)) for rule in rules]


def lead_score(*, lead: Lead) -> int:
    """The lead's score from the active scoring rules (not saved)."""
    lines = score_breakdown(lead=lead, rules=active_scoring_rules(), contacts=logged_contacts(lead=lead))
    return sum(line.points for line in lines)


@transaction.atomic
def lead_rescore(*, lead: Lead) -> Lead:
    """Recompute and store the score (after an activity is logged or the rules change)."""
    score = lead_score(lead=lead)
    if score != lead.score:
        lead.score = score
        Lead.objects.filter(pk=lead.pk).update(score=score)
    return lead


def leads_rescore_batch(*, after_id: int = 0, batch_size: int = 500) -> int | None:
    """Rescore the next ``batch_size`` open leads with an id above ``after_id``; return the last
    id handled (None when there are no more). Bounded so a job can re-queue itself."""
    rules = active_scoring_rules()
    open_statuses = [Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.QUALIFIED]
    leads = list(Lead.objects.filter(pk__gt=after_id, status__in=open_statuses).order_by("pk")[:batch_size])
    if not leads:
        return None
    done = Activity.objects.filter(lead__in=leads, status=Activity.Status.DONE)
    counts: dict[int, int] = {}
    for lead_id in done.values_list("lead_id", flat=True):
        counts[lead_id] = counts.get(lead_id, 0) + 1
    changed = []
    for lead in leads:
        score = sum(line.points for line in score_breakdown(lead=lead, rules=rules, contacts=counts.get(lead.pk, 0)))
        if score != lead.score:
            lead.score = score
            changed.append(lead)
    Lead.objects.bulk_update(changed, ["score"], batch_size=100)
    return leads[-1].pk


def _rescore_after_commit() -> None:
    from sales.tasks.leads import leads_rescore

    transaction.on_commit(lambda: leads_rescore.delay())


_NEEDS = {
    ScoringRule.Criterion.SOURCE: ("source", gettext_lazy("Choose the source.")),
    ScoringRule.Criterion.PROVINCE: ("province", gettext_lazy("Choose the province.")),
    ScoringRule.Criterion.VALUE_AT_LEAST: ("threshold", gettext_lazy("Enter the smallest estimated value.")),
    ScoringRule.Criterion.ACTIVITIES_AT_LEAST: ("threshold", gettext_lazy("Enter the number of logged contacts.")),
}


@transaction.atomic
def scoring_rule_save(*, rule: ScoringRule) -> ScoringRule:
    """Create or change a scoring rule, clear what its criterion does not use, and rescore the
    open leads after the commit."""
    needed = _NEEDS.get(rule.criterion)
    if needed and getattr(rule, needed[0]) in (None, ""):
        raise ValidationError({needed[0]: needed[1]})
    if rule.criterion != ScoringRule.Criterion.SOURCE:
        rule.source = None
    if rule.criterion != ScoringRule.Criterion.PROVINCE:
        rule.province = ""
    if rule.criterion not in (ScoringRule.Criterion.VALUE_AT_LEAST, ScoringRule.Criterion.ACTIVITIES_AT_LEAST):
        rule.threshold = None
    if rule.threshold is not None and rule.threshold < 0:
        raise ValidationError({"threshold": _("The threshold cannot be negative.")})
    rule.full_clean()
    rule.save()
    _rescore_after_commit()
    return rule


@transaction.atomic
def scoring_rule_delete(*, rule: ScoringRule) -> None:
    rule.delete()
    _rescore_after_commit()
