"""Demo data of the analytics app: ``seed(ctx)``, called by ``manage.py seed_demo`` after every
other app's part (analytics comes last in INSTALLED_APPS).

It sets the lifetime-value assumptions an Iranian appliance dealer might use (a 20% discount
rate, what an order, a sales call and a campaign message cost, what a ticket costs by category
and priority) and runs the computation once, in this process, so that the report pages and the
customers' figures are there when the demo opens. The computation's own queries do not grow with
the number of customers (grouped reads, bulk writes).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError

from analytics.models import AnalyticsSettings, TicketCost
from analytics.services.runs import compute_run_now
from crm_site.demo import DemoContext
from service.models import Ticket, TicketCategory

SETTINGS = {
    "annual_discount_rate": Decimal("20"),
    "cost_per_order": Decimal("1500000"),  # packing and delivery
    "cost_per_activity": Decimal("800000"),  # an hour of a rep's time for a call or visit
    "cost_per_message": Decimal("1000"),  # an SMS, for campaigns that record no cost
    "horizon_months": 12,
    "inactive_days": 180,
    "pareto_measure": AnalyticsSettings.ParetoMeasure.PROFIT,
    "pareto_months": 12,
}

# (top-level category name or None, priority or None, cost per ticket, cost per hour open)
TICKET_COSTS = [
    (None, None, Decimal("2000000"), Decimal("150000")),
    (None, Ticket.Priority.URGENT, Decimal("4000000"), Decimal("300000")),
    ("Repairs", None, Decimal("6000000"), Decimal("200000")),  # a technician's visit
    ("Repairs", Ticket.Priority.URGENT, Decimal("9000000"), Decimal("400000")),
    ("Installation", None, Decimal("3500000"), Decimal("150000")),
]


def _settings() -> None:
    """The one settings row, made or overwritten (two queries at most: seeding stays cheap)."""
    if not AnalyticsSettings.objects.filter(pk=1).update(**SETTINGS):
        AnalyticsSettings.objects.create(pk=1, **SETTINGS)


def _ticket_costs() -> None:
    """The demo's cost table, replacing whatever was there (seed_demo fills an empty install)."""
    names = {name for name, *_rest in TICKET_COSTS if name}
    categories = dict(TicketCategory.objects.filter(name__in=names, parent=None).values_list("name", "pk"))
    TicketCost.objects.all().delete()
    TicketCost.objects.bulk_create(
        TicketCost(category_id=categories.get(name), priority=priority, cost_per_ticket=ticket, cost_per_hour=hour)
        for name, priority, ticket, hour in TICKET_COSTS
        if not name or name in categories  # a category removed from this install is skipped
    )


def seed(ctx: DemoContext) -> None:
    _settings()
    _ticket_costs()
    if ctx.customers <= 0:
        ctx.summary.append("Analytics: settings only (no customers)")
        return
    try:
        run = compute_run_now(user=ctx.users.get("admin"))
    except ValidationError:
        ctx.summary.append("Analytics: a computation is already running; figures will follow it")
        return
    if run.status != run.Status.DONE:
        ctx.summary.append(f"Analytics: the computation failed ({run.error})")
        return
    seconds = sum(step["seconds"] for step in run.steps)
    ctx.summary.append(
        f"Analytics: figures for {run.summary.get('base_customers', 0):,} customers "
        f"({run.summary.get('buyers', 0):,} buyers), computed in {seconds:.1f}s"
    )
