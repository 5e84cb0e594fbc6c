"""Demo sales data: ``seed(ctx)``, called by ``manage.py seed_demo`` after the customers exist.

It makes a product catalogue (catalog.py), opportunities across the default pipeline (pipeline.py),
leads (leads.py), calls, meetings and tasks with "My day" filled for each seller (activities.py),
and about three years of orders with their lines, invoices, payments and after-sale surveys
(orders.py) and a few returns (returns.py), then refreshes the tables product suggestions read.

Everything comes from ``ctx.rng_for("sales")``, and times are relative to today's local
midnight, so a seed gives the same data all day. Rows are written in bulk (COPY on PostgreSQL)
with ids given up front, as customers/demo.py does, so rows can point at each other without
reading anything back: the number of queries does not grow with the number of customers.
"""

from django.db.models import Case, Value, When

from crm_site.bulkload import BulkTables, bulk_table, next_ids, sequences_reset
from crm_site.demo import DemoContext
from customers.models import Customer, Interaction
from sales.demo.activities import ActivityWriter, Planned
from sales.demo.catalog import Catalogue
from sales.demo.common import Buyer, Clock, Seller, load_buyers, load_references, seller_for
from sales.demo.leads import LeadWriter
from sales.demo.orders import OrderWriter, order_tables
from sales.demo.pipeline import PipelineWriter
from sales.demo.returns import return_tables, write_returns
from sales.models import (
    Activity,
    AssignmentRule,
    BuyingRole,
    Invoice,
    Lead,
    LeadAssignment,
    Opportunity,
    OpportunityLine,
    Order,
    OrderReturn,
    Product,
    ProductCategory,
    StageChange,
)
from sales.numbering import INVOICE_PREFIX, ORDER_PREFIX
from sales.services.returns import RETURN_PREFIX
from sales.services.suggestions import suggestions_refresh

# Scale: leads and opportunities grow with the customers, up to what a sales team really has.
LEADS_PER_CUSTOMER, MAX_LEADS, MIN_LEADS = 0.1, 5_000, 30
OPPORTUNITIES_PER_CUSTOMER, MAX_OPPORTUNITIES, MIN_OPPORTUNITIES = 0.05, 5_000, 40
CUSTOMER_CALLS_PER_CUSTOMER, MAX_CUSTOMER_CALLS = 0.04, 4_000


def _adopt_unowned_buyers(buyers: list[Buyer], sellers: dict[int, Seller]) -> None:
    """A customer nobody owned belongs to the rep who sold to them, so that the rep, their manager
    and the suggestions beside their orders can open the customer (one UPDATE)."""
    unowned = {buyer.pk for buyer in buyers if buyer.owner_id is None}
    adopted = {pk: seller for pk, seller in sellers.items() if pk in unowned}
    if not adopted:
        return
    by_seller: dict[int, tuple[Seller, list[int]]] = {}
    for customer_id, seller in adopted.items():
        by_seller.setdefault(seller.pk, (seller, []))[1].append(customer_id)
    owner = Case(*(When(pk__in=ids, then=Value(seller.pk)) for seller, ids in by_seller.values()))
    team = Case(*(When(pk__in=ids, then=Value(seller.team_id)) for seller, ids in by_seller.values()))
    Customer.objects.filter(pk__in=list(adopted), owner__isnull=True).update(owner_id=owner, team_id=team)


def _scaled(customers: int, share: float, low: int, high: int) -> int:
    return max(low, min(high, int(customers * share)))


def _latest_numbers() -> dict[str, int]:
    """The sequence of the newest order, invoice and return numbers (0 when none), in one query each."""
    latest = {}
    kinds = (
        ("order_number", Order, ORDER_PREFIX),
        ("invoice_number", Invoice, INVOICE_PREFIX),
        ("return_number", OrderReturn, RETURN_PREFIX),
    )
    for key, model, prefix in kinds:
        number = (
            model.objects.filter(number__regex=rf"^{prefix}-[0-9]+$")
            .order_by("-pk")
            .values_list("number", flat=True)
            .first()
        )
        latest[key] = int(number.rsplit("-", 1)[1]) if number else 0
    return latest


def seed(ctx: DemoContext) -> None:
    if ctx.customers <= 0:
        ctx.summary.append("Sales: none (no customers)")
        return
    rng = ctx.rng_for("sales")
    clock = Clock()
    refs = load_references(ctx)
    buyers = load_buyers(clock)
    with_ids = (
        ProductCategory,
        Product,
        Opportunity,
        Lead,
        AssignmentRule,
        Activity,
        Interaction,
        Order,
        Invoice,
        OrderReturn,
    )
    start = next_ids(*with_ids)
    latest = _latest_numbers()

    catalogue = Catalogue(rng, clock)
    _categories, new_products = catalogue.write(bulk_table, start)

    tables = BulkTables(
        opportunities=bulk_table(Opportunity, with_pk=True),
        leads=bulk_table(Lead, with_pk=True),
        interactions=bulk_table(Interaction, with_pk=True),
        activities=bulk_table(Activity, with_pk=True),
        opportunity_lines=bulk_table(OpportunityLine),
        stage_changes=bulk_table(StageChange),
        buying_roles=bulk_table(BuyingRole),
        lead_assignments=bulk_table(LeadAssignment),
    )
    sellers: dict[int, Seller] = {}

    def sellers_of(buyer: Buyer) -> Seller:
        """A customer's seller: their owner, or one picked once for a customer nobody owns."""
        if buyer.pk not in sellers:
            sellers[buyer.pk] = seller_for(rng, refs, buyer.owner_id)
        return sellers[buyer.pk]

    activities = ActivityWriter(rng, clock, tables, activity_id=start[Activity], interaction_id=start[Interaction])
    pipeline = PipelineWriter(rng, clock, catalogue, refs, tables, activities, opportunity_id=start[Opportunity])
    deals = pipeline.write(
        buyers, _scaled(ctx.customers, OPPORTUNITIES_PER_CUSTOMER, MIN_OPPORTUNITIES, MAX_OPPORTUNITIES), sellers_of
    )
    sales_team = ctx.teams.get("Sales")
    leads = LeadWriter(
        rng,
        clock,
        refs,
        tables,
        activities,
        lead_id=start[Lead],
        rule_id=start[AssignmentRule],
        team_id=sales_team.pk if sales_team else None,
    )
    lead_counts = leads.write(_scaled(ctx.customers, LEADS_PER_CUSTOMER, MIN_LEADS, MAX_LEADS), deals)
    activities.customer_calls(
        buyers, sellers_of, _scaled(ctx.customers, CUSTOMER_CALLS_PER_CUSTOMER, 10, MAX_CUSTOMER_CALLS)
    )
    plans = [
        Planned(deal.seller, deal.buyer.name, customer_id=deal.buyer.pk, opportunity_id=deal.pk)
        for deal in deals
        if deal.status == "open"
    ]
    plans += leads.plans
    plans += [Planned(sellers_of(buyer), buyer.name, customer_id=buyer.pk) for buyer in buyers[-50:]]
    activities.my_day(plans)
    leads.finish()  # the assignment rule first: the leads point at it
    tables.flush()

    orders = OrderWriter(
        rng,
        clock,
        catalogue,
        refs,
        buyers,
        order_tables(bulk_table),
        sellers_of,
        {"order_id": start[Order], "invoice_id": start[Invoice], **latest},
    )
    order_counts = orders.write()
    returns = write_returns(
        ctx.rng_for("returns"),
        clock,
        orders.delivered,
        return_tables(bulk_table),
        return_id=start[OrderReturn],
        sequence=latest["return_number"],
    )
    _adopt_unowned_buyers(buyers, sellers)
    sequences_reset(*with_ids)
    suggestions_refresh()

    ctx.summary.append(
        f"Sales: {len(catalogue.items):,} products ({new_products:,} new), {order_counts.orders:,} orders with "
        f"{order_counts.lines:,} lines, {order_counts.invoices:,} invoices, {order_counts.payments:,} payments, "
        f"{returns:,} returns, "
        f"{lead_counts.leads:,} leads ({lead_counts.converted:,} converted), {len(deals):,} opportunities, "
        f"{activities.count:,} activities ({activities.open_count:,} open)"
    )
