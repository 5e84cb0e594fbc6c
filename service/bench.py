"""What ``make bench`` measures in the service app (see crm_site/bench.py).

Pages: the service home as the manager and as the agent, the agent's ticket list, the ticket of
the agent's team with the most messages, and the contractor portal. URLs are reversed when the
bench runs, so that this module imports whatever pages exist.

Job: the service-level check over 10,000 open tickets whose warnings and deadlines have all come
up at once (the worst minute the job can meet): 40,000 events, each acted on exactly once.
"""

import secrets
from datetime import timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from crm_site.bench import BenchContext, BenchJob, BenchPage
from crm_site.bulkload import bulk_table
from crm_site.models import Notification, User
from customers.models import Customer
from service.models import Ticket, TicketEvent
from service.selectors.dashboard import tickets_for

TICKETS = 10_000
_PREFIX = "BENCH-"


def _clear() -> None:
    Notification.objects.filter(dedupe_key__startswith="sla:", title__contains=_PREFIX).delete()
    TicketEvent.objects.filter(ticket__number__startswith=_PREFIX).delete()
    Ticket.objects.filter(number__startswith=_PREFIX).delete()


def _overdue_tickets(ctx: BenchContext) -> None:
    """10,000 open tickets of the service staff, every warning and deadline a minute past (bulk)."""
    _clear()
    owners = list(User.objects.filter(username__in=["agent1", "manager", "admin"]).order_by("pk"))
    customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:TICKETS])
    if not owners or not customers:
        return
    now = timezone.now()
    past = now - timedelta(minutes=1)
    table = bulk_table(Ticket)
    for number in range(TICKETS):
        owner = owners[number % len(owners)]
        table.add(
            number=f"{_PREFIX}{number:06d}",
            kind=Ticket.Kind.COMPLAINT if number % 4 == 0 else Ticket.Kind.REQUEST,
            channel=Ticket.Channel.PHONE,
            priority=Ticket.Priority.NORMAL,
            status=Ticket.Status.OPEN,
            customer_id=customers[number % len(customers)],
            subject=f"{_PREFIX}{number}",
            owner_id=owner.pk,
            team_id=owner.team_id,
            handoffs=0,
            reopened=0,
            first_response_warn_at=past,
            first_response_due_at=past,
            resolution_warn_at=past,
            resolution_due_at=past,
            public_token=secrets.token_urlsafe(24),
            created_at=now - timedelta(days=2),
            updated_at=now,
        )
    table.flush()


def _check(ctx: BenchContext) -> None:
    from service.services.sla import sla_check

    result = sla_check()
    left = Ticket.objects.filter(number__startswith=_PREFIX, resolution_breached_at__isnull=True).count()
    if left or result.breaches < 2 * TICKETS:
        raise RuntimeError(f"{left} of the {TICKETS:,} tickets were not escalated ({result.breaches} breaches).")


def _busiest_ticket_url(ctx: BenchContext) -> str:
    """The ticket with the most messages among those agent1 may see (their team's)."""
    agent = User.objects.get(username="agent1")
    busiest = (
        tickets_for(user=agent)
        .exclude(number__startswith=_PREFIX)
        .annotate(message_count=Count("messages"))
        .order_by("-message_count", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if busiest is None:
        raise RuntimeError("No ticket for agent1: seed the demo data first.")
    return reverse("service:ticket_detail", args=[busiest])


PAGES = [
    BenchPage("service home (team, manager)", lambda ctx: reverse("service:index"), "manager"),
    BenchPage("service home (agent)", lambda ctx: reverse("service:index"), "agent1"),
    BenchPage("ticket list", lambda ctx: reverse("service:ticket_list"), "agent1"),
    BenchPage("ticket, most messages", _busiest_ticket_url, "agent1"),
    BenchPage("contractor portal", lambda ctx: reverse("portal:index"), "contractor1"),
]
JOBS = [BenchJob(f"SLA check: {TICKETS:,} open tickets past every target", _check, setup=_overdue_tickets)]
