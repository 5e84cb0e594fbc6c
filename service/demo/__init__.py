"""Demo service data: ``seed(ctx)``, called by ``manage.py seed_demo`` after customers and sales.

About one ticket for every twenty customers (60 to 5,000) over the last year, a third of them
complaints, each with a realistic history (tickets.py): deadlines in business hours of the
default calendar, first answers mostly in time and some late (breached and escalated as the
service-level job does it), some tickets handed over once, twice or three times (flagged past
the settings' limit), a conversation with replies and internal notes, and surveys answered on
resolved tickets, mostly with high scores. The Service team gets the demo manager as its manager
(escalations go to them) and the demo contractor a company, skills and a few work orders.

Everything random comes from ``ctx.rng_for("service")`` and times are relative to today's local
midnight; only the secret tokens of status links and surveys are truly random. Rows are written
in bulk with ids given up front (COPY on PostgreSQL): the number of queries does not grow with
the number of tickets.
"""

import importlib

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from crm_site.bulkload import BulkTables, bulk_table, next_ids, sequences_reset
from crm_site.demo import DemoContext
from crm_site.models import Team
from customers.models import Customer, Interaction
from sales.demo.common import Clock
from service.demo.contractors import contractor_seed
from service.demo.tickets import Refs, TicketWriter
from service.models import (
    BusinessCalendar,
    SatisfactionSurvey,
    ServiceSettings,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketMessage,
    TicketTransfer,
    WorkOrder,
)
from service.services.sla import business_calendar

TICKETS_PER_CUSTOMER, MIN_TICKETS, MAX_TICKETS = 1 / 20, 60, 5_000
# The service staff who own tickets, with their share.
OWNERS = [("agent1", 70), ("manager", 30)]


def _install_defaults() -> None:
    """The defaults migration's calendar, policies and categories, when a database has none."""
    importlib.import_module("service.migrations.0002_defaults").install(apps, None)


def _policies() -> dict[int, tuple[int, int, int, int]]:
    """For each priority, the first active policy that applies by priority alone (the defaults
    have no category or customer-group conditions; policies that do are left to real tickets)."""
    rows = list(
        SlaPolicy.objects.filter(is_active=True, category__isnull=True, customer_group__isnull=True)
        .order_by("order", "id")
        .values_list("pk", "priority", "first_response_minutes", "resolution_minutes", "warn_before_minutes")
    )
    chosen = {}
    for priority in Ticket.Priority.values:
        for pk, condition, first, resolution, warn in rows:
            if condition is None or condition == priority:
                chosen[priority] = (pk, first, resolution, warn)
                break
    return chosen


def _categories() -> list[tuple[int, str]]:
    rows = list(TicketCategory.objects.filter(is_active=True).values_list("pk", "path", "name", "parent_id"))
    roots = {pk: name for pk, _path, name, parent in rows if parent is None}
    return [(pk, roots.get(int(path.split("/", 1)[0]), name)) for pk, path, name, _parent in rows]


def _service_team(ctx: DemoContext) -> int | None:
    """The Service team, led by the demo manager so that breaches of its tickets reach someone."""
    team = ctx.teams.get("Service")
    manager = ctx.users.get("manager")
    if team is None:
        return None
    if team.manager_id is None and manager is not None:
        Team.objects.filter(pk=team.pk, manager__isnull=True).update(manager=manager)
        team.manager = manager
    return team.pk


def _ticket_url() -> str:
    """The ticket page's address with a hole for the id: reversed once for thousands of rows."""
    return reverse("service:ticket_detail", args=[987654321]).replace("987654321", "{}")


def _refs(ctx: DemoContext, clock: Clock) -> Refs | None:
    calendar = BusinessCalendar.objects.filter(is_default=True).first()
    policies = _policies() if calendar else {}
    if calendar is None or len(policies) < len(Ticket.Priority.values):
        _install_defaults()
        calendar = BusinessCalendar.objects.get(is_default=True)
        policies = _policies()
    owners = [
        (ctx.users[name].pk, ctx.users[name].get_full_name() or name, weight)
        for name, weight in OWNERS
        if name in ctx.users
    ]
    categories = _categories()
    if not owners or not categories:
        return None
    return Refs(
        calendar=business_calendar(calendar),
        policies=policies,
        categories=categories,
        owners=owners,
        team_id=_service_team(ctx),
        handoff_limit=ServiceSettings.load().handoff_limit,
        ticket_type=ContentType.objects.get_for_model(Ticket).pk,
        ticket_url=_ticket_url(),
        now=clock.midnight,
    )


def seed(ctx: DemoContext) -> None:
    if ctx.customers <= 0:
        ctx.summary.append("Service: none (no customers)")
        return
    rng = ctx.rng_for("service")
    clock = Clock()
    refs = _refs(ctx, clock)
    customers = list(Customer.objects.order_by("pk").values_list("pk", "created_at"))
    if refs is None or not customers:
        ctx.summary.append("Service: none (no service staff, categories or customers)")
        return
    count = max(MIN_TICKETS, min(MAX_TICKETS, int(len(customers) * TICKETS_PER_CUSTOMER)))
    chosen = [rng.choice(customers) for _ticket in range(count)]
    details = {
        pk: (name, phone, address, city)
        for pk, name, phone, address, city in Customer.objects.filter(pk__in={pk for pk, _at in chosen}).values_list(
            "pk", "name", "phone", "address", "city"
        )
    }

    start = next_ids(Ticket, Interaction, WorkOrder)
    tables = BulkTables(
        tickets=bulk_table(Ticket, with_pk=True),
        messages=bulk_table(TicketMessage),
        events=bulk_table(TicketEvent),
        transfers=bulk_table(TicketTransfer),
        surveys=bulk_table(SatisfactionSurvey),
        interactions=bulk_table(Interaction, with_pk=True),
    )
    writer = TicketWriter(rng, refs, tables, next_interaction=start[Interaction])
    for offset, (customer_id, since) in enumerate(chosen):
        name, phone, _address, _city = details[customer_id]
        writer.write(start[Ticket] + offset, (customer_id, name, phone, since))
    tables.flush()
    work_orders = contractor_seed(ctx, rng, writer.planned, details, work_order_id=start[WorkOrder], now=refs.now)
    sequences_reset(Ticket, Interaction, WorkOrder)

    counts = writer.counts
    ctx.summary.append(
        f"Service: {counts.tickets:,} tickets ({counts.complaints:,} complaints, {counts.open:,} open), "
        f"{counts.breached:,} breached, {counts.transferred:,} transferred ({counts.flagged:,} flagged), "
        f"{counts.answered:,} surveys answered, {work_orders:,} work orders"
    )
