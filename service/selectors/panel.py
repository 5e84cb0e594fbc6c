"""What the service panel of the 360° customer page shows, as far as the user may see it."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from crm_site.models import User
from customers.models import Customer
from service.models import SatisfactionSurvey, Ticket
from service.selectors.dashboard import OPEN_STATUSES, surveys_for, tickets_for

PANEL_TICKETS = 8
COMPLAINT_DAYS = 365


@dataclass
class PanelTicket:
    ticket: Ticket
    due_at: datetime.datetime | None  # the next deadline still running (None: none, or paused)
    breached: bool
    paused: bool


def _panel_ticket(ticket: Ticket, now: datetime.datetime) -> PanelTicket:
    """The deadline that matters next: the first response until there is one, then resolution."""
    breached = bool(ticket.first_response_breached_at or ticket.resolution_breached_at)
    paused = ticket.sla_paused_at is not None
    if ticket.first_response_at is None:
        due = ticket.first_response_due_at
    else:
        due = None if paused else ticket.resolution_due_at
    if due is not None and due <= now:
        breached = True
    return PanelTicket(ticket=ticket, due_at=due, breached=breached, paused=paused)


def customer_service_panel(*, user: User, customer: Customer, now: datetime.datetime | None = None) -> dict:
    """The customer's open tickets the user may see (oldest deadline first), their complaints of
    the last twelve months and their last answered survey: three queries."""
    now = now or timezone.now()
    visible = tickets_for(user=user).filter(customer=customer)
    open_rows = list(visible.filter(status__in=OPEN_STATUSES).order_by("created_at", "id")[: PANEL_TICKETS + 1])
    complaints = visible.filter(
        kind=Ticket.Kind.COMPLAINT, created_at__gte=now - datetime.timedelta(days=COMPLAINT_DAYS)
    ).count()
    last_survey: SatisfactionSurvey | None = (
        surveys_for(user=user)
        .filter(customer=customer, score__isnull=False, answered_at__isnull=False)
        .order_by("-answered_at", "-id")
        .only("id", "score", "answered_at", "comment", "ticket_id")
        .first()
    )
    return {
        "open_tickets": [_panel_ticket(ticket, now) for ticket in open_rows[:PANEL_TICKETS]],
        "has_more": len(open_rows) > PANEL_TICKETS,
        "complaints_12_months": complaints,
        "last_survey": last_survey,
        "now": now,
    }
