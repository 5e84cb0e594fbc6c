"""Reads of tickets for the staff pages, scoped to the user ("service" record family) and with
what each page shows loaded in a number of queries that does not grow with the rows."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_site.access import Action, Role, Scope, get_for_user_or_404, record_scope, scope_queryset, team_ids
from crm_site.models import User
from customers.filters import search_condition
from customers.models import Customer
from customers.selectors import customers_for
from service import business_hours
from service.models import ServiceSettings, Ticket, TicketAttachment, TicketCategory, TicketMessage
from service.services.sla import business_calendar

FAMILY = "service"
CUSTOMER_SEARCH_LIMIT = 20
# The roles a ticket may be handed to.
AGENT_ROLES = (Role.SERVICE_AGENT.value, Role.MANAGER.value)


def tickets_for(*, user: User, action: Action = Action.VIEW) -> QuerySet[Ticket]:
    """Every ticket ``user`` may see (or change): agents and managers their team's, admin all."""
    return scope_queryset(Ticket.objects.all(), user, FAMILY, action, owner_field="owner", team_field="team")


def ticket_list_queryset(*, user: User) -> QuerySet[Ticket]:
    return tickets_for(user=user).select_related("customer", "owner", "team", "category", "sla_policy__calendar")


def ticket_get(*, user: User, pk, action: Action = Action.VIEW) -> Ticket:
    """One ticket with its header's relations, or 404 (403 when seen but not changeable)."""
    queryset = Ticket.objects.select_related(
        "customer", "owner", "team__manager", "category", "sla_policy__calendar", "order", "product", "created_by"
    )
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_for_user_or_404(queryset, user, FAMILY, action, owner_field="owner", team_field="team", pk=pk)


def can_change_ticket(*, user: User, ticket: Ticket) -> bool:
    return tickets_for(user=user, action=Action.CHANGE).filter(pk=ticket.pk).exists()


def can_create_tickets(user: User) -> bool:
    return record_scope(user, FAMILY, Action.CHANGE) != Scope.NONE


def ticket_conversation(*, ticket: Ticket) -> list[TicketMessage]:
    return list(
        ticket.messages.select_related("author").prefetch_related(
            Prefetch("attachments", queryset=TicketAttachment.objects.order_by("created_at", "id"))
        )
    )


def ticket_history(*, ticket: Ticket):
    return list(ticket.events.select_related("user").order_by("-created_at", "-id"))


def ticket_transfers(*, ticket: Ticket):
    return list(ticket.transfers.select_related("from_user", "to_user", "by").order_by("-created_at", "-id"))


def ticket_intake_attachments(*, ticket: Ticket) -> list[TicketAttachment]:
    """Files attached when the ticket was opened (not to a message)."""
    return list(ticket.attachments.filter(message__isnull=True))


def attachment_get(*, user: User, pk) -> TicketAttachment:
    """An attachment of a ticket the user may see, or 404."""
    queryset = TicketAttachment.objects.select_related("ticket")
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_for_user_or_404(
        queryset, user, FAMILY, Action.VIEW, owner_field="ticket__owner", team_field="ticket__team", pk=pk
    )


def agent_choices(*, user: User) -> QuerySet[User]:
    """Who the user may hand a ticket to: the active agents and managers of the user's teams
    (anyone's, for those who see every ticket)."""
    agents = User.objects.filter(is_active=True, groups__name__in=AGENT_ROLES).distinct()
    if record_scope(user, FAMILY, Action.VIEW) != Scope.ALL:
        teams = team_ids(user)
        agents = agents.filter(Q(team__in=teams) | Q(led_teams__in=teams))
    return agents.order_by("first_name", "last_name", "username")


def category_choices() -> QuerySet[TicketCategory]:
    return TicketCategory.objects.filter(is_active=True).order_by("path")


def ticket_customer(*, user: User, pk) -> Customer:
    """The customer a new ticket is for: one the user may see, or 404."""
    try:
        return customers_for(user=user).get(pk=int(pk))
    except (TypeError, ValueError, Customer.DoesNotExist):
        raise Http404 from None


def customer_search(*, user: User, query: str) -> list[Customer]:
    """Customers the user may see that match ``query`` (name, code, phone, email)."""
    if not query.strip():
        return []
    return list(customers_for(user=user).filter(search_condition(query)).order_by("name", "id")[:CUSTOMER_SEARCH_LIMIT])


def ticket_page(*, user: User, ticket: Ticket) -> dict:
    """Everything the ticket page reads besides its forms, in a fixed number of queries."""
    return {
        "ticket": ticket,
        "can_change": can_change_ticket(user=user, ticket=ticket),
        "deadlines": ticket_deadlines(ticket=ticket),
        "conversation": ticket_conversation(ticket=ticket),
        "intake_attachments": ticket_intake_attachments(ticket=ticket),
        "history": ticket_history(ticket=ticket),
        "transfers": ticket_transfers(ticket=ticket),
        "handoff_limit": handoff_limit(),
    }


def handoff_limit() -> int:
    return ServiceSettings.load().handoff_limit


# --- service-level deadlines as the pages show them --------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    label: str
    due_at: datetime | None
    state: str  # "running", "paused", "met", "breached", "none"
    left: timedelta | None = None  # business time left while running

    @property
    def left_text(self) -> str:
        if self.left is None:
            return ""
        minutes = int(self.left.total_seconds() // 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}"


class DeadlineClock:
    """Works out deadlines for many tickets with each business calendar read once."""

    def __init__(self, now: datetime | None = None):
        self.now = now or timezone.now()
        # Each policy's calendar built once per page (two queries per calendar, not per row).
        self.calendars: dict[int, business_hours.BusinessCalendar] = {}

    def _left(self, ticket: Ticket, due: datetime) -> timedelta:
        if ticket.sla_policy_id is None:
            return due - self.now
        calendar_id = ticket.sla_policy.calendar_id
        if calendar_id not in self.calendars:
            self.calendars[calendar_id] = business_calendar(ticket.sla_policy.calendar)
        calendar = self.calendars[calendar_id]
        return business_hours.business_time_between(calendar, self.now, due)

    def first_response(self, ticket: Ticket) -> Deadline:
        label, due = _("First response"), ticket.first_response_due_at
        if due is None:
            return Deadline(label, None, "none")
        if ticket.first_response_at is not None:
            state = "met" if ticket.first_response_at <= due else "breached"
            return Deadline(label, due, state)
        if ticket.first_response_breached_at is not None or due <= self.now:
            return Deadline(label, due, "breached")
        return Deadline(label, due, "running", self._left(ticket, due))

    def resolution(self, ticket: Ticket) -> Deadline:
        label, due = _("Resolution"), ticket.resolution_due_at
        if due is None:
            return Deadline(label, None, "none")
        if ticket.resolved_at is not None:
            breached = ticket.resolution_breached_at is not None or ticket.resolved_at > due
            return Deadline(label, due, "breached" if breached else "met")
        if ticket.resolution_breached_at is not None:
            return Deadline(label, due, "breached")
        if ticket.sla_paused_at is not None:
            left = timedelta(seconds=ticket.resolution_left_seconds or 0)
            return Deadline(label, due, "paused", left)
        if due <= self.now:
            return Deadline(label, due, "breached")
        return Deadline(label, due, "running", self._left(ticket, due))

    def next(self, ticket: Ticket) -> Deadline:
        """What the list shows: the first deadline still to meet, or a breach."""
        first, resolution = self.first_response(ticket), self.resolution(ticket)
        for deadline in (first, resolution):
            if deadline.state == "breached":
                return deadline
        for deadline in (first, resolution):
            if deadline.state in ("running", "paused"):
                return deadline
        return resolution


def tickets_with_deadlines(tickets, *, now: datetime | None = None) -> list[Ticket]:
    """Give each ticket of a page its ``next_deadline`` (for the list)."""
    clock = DeadlineClock(now)
    tickets = list(tickets)
    for ticket in tickets:
        ticket.next_deadline = clock.next(ticket)
    return tickets


def ticket_deadlines(*, ticket: Ticket, now: datetime | None = None) -> list[Deadline]:
    clock = DeadlineClock(now)
    return [clock.first_response(ticket), clock.resolution(ticket)]
