"""The analytics part of seed_demo: the demo's assumptions, and figures for every customer from
one computation, in a number of queries that does not depend on the number of customers."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import demo as analytics_demo
from analytics.models import AnalyticsSettings, ComputeRun, CustomerValue, ReportSnapshot, TicketCost
from crm_site import demo as crm_demo
from customers import demo as customers_demo
from customers.models import Customer, CustomerStats
from sales import demo as sales_demo
from service import demo as service_demo
from service.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _noon():
    # The sales demo dates its orders from today's midnight.
    with time_machine.travel(datetime(2025, 5, 20, 8, 30, tzinfo=UTC), tick=False):
        yield


def seeded(customers: int) -> crm_demo.DemoContext:
    ctx = crm_demo.DemoContext(seed=4, customers=customers)
    for part in (crm_demo, customers_demo, sales_demo, service_demo):
        part.seed(ctx)
    return ctx


def test_the_demo_assumptions_and_figures():
    ctx = seeded(150)
    with CaptureQueriesContext(connection) as queries:
        analytics_demo.seed(ctx)
    # Settings, the cost table, and one computation of grouped reads and bulk writes (83 queries
    # at any size, a third of them the run's progress and savepoints): none per customer or order.
    assert len(queries) < 100

    settings = AnalyticsSettings.load()
    assert settings.annual_discount_rate == Decimal("20") and settings.cost_per_order == Decimal("1500000")
    costs = {(row.category.name if row.category else None, row.priority): row for row in TicketCost.objects.all()}
    assert set(costs) == {
        (None, None),
        (None, Ticket.Priority.URGENT),
        ("Repairs", None),
        ("Repairs", Ticket.Priority.URGENT),
        ("Installation", None),
    }

    run = ComputeRun.objects.get()
    assert run.status == ComputeRun.Status.DONE and run.requested_by == ctx.users["admin"]
    customers = Customer.objects.count()
    assert CustomerStats.objects.count() == CustomerValue.objects.count() == customers
    buyers = CustomerValue.objects.filter(orders__gt=0)
    assert buyers.exists() and not buyers.filter(order_costs=0).exists()  # 1,500,000 per order
    assert CustomerValue.objects.filter(service_costs__gt=0).exists()  # the demo's tickets cost something
    assert CustomerStats.objects.exclude(rfm_segment="").count() == buyers.count()
    assert CustomerStats.objects.filter(pareto_class="A").exists()
    assert run.summary["bgnbd"] is not None  # enough repeat buyers to fit the models
    assert CustomerValue.objects.filter(clv_predicted__isnull=False).count() == buyers.count()
    assert ReportSnapshot.objects.filter(kind="pareto").count() == 4
    assert any(line.startswith("Analytics: figures for") for line in ctx.summary)


def test_seeding_again_replaces_the_cost_table():
    ctx = seeded(40)
    analytics_demo.seed(ctx)
    analytics_demo.seed(ctx)
    assert TicketCost.objects.count() == 5
    assert ComputeRun.objects.filter(status=ComputeRun.Status.DONE).count() == 2


def test_without_customers_only_the_settings():
    ctx = crm_demo.DemoContext(seed=1, customers=0)
    crm_demo.seed(ctx)
    analytics_demo.seed(ctx)
    assert AnalyticsSettings.load().cost_per_activity == Decimal("800000")
    assert not ComputeRun.objects.exists()
    assert "Analytics: settings only (no customers)" in ctx.summary
