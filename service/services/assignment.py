"""Automatic assignment: a new ticket gets its one owner from the first assignment rule that
matches it and can name someone.

Rules are tried in ``order``; a rule whose method finds nobody (an empty team, a skill nobody
has) falls through to the next one, so a catch-all rule at the end still catches the ticket.
When nothing assigns it, the service managers are told once, so the ticket does not sit unseen.
"""

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from crm_site.access import Role
from crm_site.models import User
from crm_site.services import notification_create
from service.models import AssignmentRule, Ticket, TicketEvent

OPEN_STATUSES = (
    Ticket.Status.NEW,
    Ticket.Status.OPEN,
    Ticket.Status.WAITING_CUSTOMER,
    Ticket.Status.WAITING_CONTRACTOR,
)


def rule_matches(*, rule: AssignmentRule, ticket: Ticket) -> bool:
    """Whether ``rule``'s conditions hold for ``ticket`` (an empty condition holds for any ticket).
    The rule's category must be loaded (select_related) to avoid a query per rule."""
    if rule.kinds and ticket.kind not in rule.kinds:
        return False
    if rule.category_id is not None:
        category = ticket.category
        if category is None or not category.path.startswith(rule.category.path):
            return False
    return True


def _active_users() -> QuerySet:
    return User.objects.filter(is_active=True)


def _round_robin_candidates(rule: AssignmentRule) -> list[User]:
    listed = list(rule.users.filter(is_active=True).order_by("pk"))
    if listed:
        return listed
    if rule.team_id is None:
        return []
    return list(
        _active_users().filter(team_id=rule.team_id, groups__name=Role.SERVICE_AGENT.value).distinct().order_by("pk")
    )


def _pick_round_robin(rule: AssignmentRule) -> User | None:
    # Lock the rule so two tickets arriving together do not both go to the same agent.
    locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    candidates = _round_robin_candidates(locked)
    if not candidates:
        return None
    last = locked.last_assigned_id
    chosen = next((user for user in candidates if last is not None and user.pk > last), candidates[0])
    AssignmentRule.objects.filter(pk=locked.pk).update(last_assigned=chosen)
    rule.last_assigned = chosen
    return chosen


def _pick_by_skill(rule: AssignmentRule, ticket: Ticket) -> User | None:
    skill_id = rule.skill_id
    if skill_id is None and ticket.category_id is not None:
        skill_id = ticket.category.skill_id
    if skill_id is None:
        return None
    return (
        _active_users()
        .filter(skills__id=skill_id)
        .annotate(open_count=Count("owned_tickets", filter=Q(owned_tickets__status__in=OPEN_STATUSES)))
        .order_by("open_count", "pk")
        .first()
    )


def _pick_fixed(rule: AssignmentRule) -> User | None:
    return rule.users.filter(is_active=True).order_by("pk").first()


def _pick(rule: AssignmentRule, ticket: Ticket) -> User | None:
    if rule.method == AssignmentRule.Method.ROUND_ROBIN:
        return _pick_round_robin(rule)
    if rule.method == AssignmentRule.Method.BY_SKILL:
        return _pick_by_skill(rule, ticket)
    return _pick_fixed(rule)


def service_managers() -> QuerySet:
    """Who hears about tickets nobody could be given: the active users with the Manager role."""
    return _active_users().filter(groups__name=Role.MANAGER.value).distinct().order_by("pk")


def _notify_unassigned(ticket: Ticket, url: str) -> None:
    for manager in service_managers():
        notification_create(
            recipient=manager,
            title=_("Ticket %(number)s could not be assigned") % {"number": ticket.number},
            body=_("No assignment rule matched it or found an agent; please give it an owner."),
            url=url,
            dedupe_key=f"ticket-unassigned:{ticket.pk}:{manager.pk}",
        )


@transaction.atomic
def ticket_assign_auto(*, ticket: Ticket) -> User | None:
    """Give a saved ticket its owner by the assignment rules. Sets ``owner``, ``team`` (the owner's)
    and ``assignment_rule`` on the ticket, records the assignment on its history and notifies the
    owner. Returns the owner, or None when no rule assigned it (the managers are told once)."""
    url = ticket.get_absolute_url()
    rules = AssignmentRule.objects.filter(is_active=True).select_related("category").order_by("order", "pk")
    for rule in rules:
        if not rule_matches(rule=rule, ticket=ticket):
            continue
        owner = _pick(rule, ticket)
        if owner is None:
            continue
        ticket.owner = owner
        ticket.team_id = owner.team_id
        ticket.assignment_rule = rule
        ticket.save(update_fields=["owner", "team", "assignment_rule", "updated_at"])
        event = TicketEvent(
            ticket=ticket,
            kind=TicketEvent.Kind.ASSIGNED,
            new_value=str(owner)[:200],
            note=_("By the rule “%(rule)s”.") % {"rule": rule.name},
        )
        event.full_clean()
        event.save()
        notification_create(
            recipient=owner,
            title=_("New ticket for you: %(number)s") % {"number": ticket.number},
            body=ticket.subject,
            url=url,
            dedupe_key=f"ticket-assigned:{ticket.pk}:{owner.pk}",
        )
        return owner
    _notify_unassigned(ticket, url)
    return None
