"""The sales part of seed_demo: reproducible, consistent with the services' rules, and in bulk."""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from itertools import pairwise

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm_site import demo as crm_demo
from crm_site.models import Team, User
from customers import demo as customers_demo
from customers.models import Customer
from sales import demo as sales_demo
from sales.models import (
    Activity,
    AssignmentRule,
    BuyingRole,
    GroupProductPopularity,
    Invoice,
    Lead,
    LeadAssignment,
    Opportunity,
    OpportunityLine,
    Order,
    OrderLine,
    OrderReturn,
    Payment,
    Product,
    ProductAffinity,
    ProductCategory,
    SalesSettings,
    ScoringRule,
    Stage,
    StageChange,
    SurveyInvitation,
)
from sales.services.returns import return_line_amounts
from sales.totals import document_amounts, line_amounts
from service.models import Ticket
from tests.demo_wipe import wipe_protecting_rows

pytestmark = pytest.mark.django_db

# Mid-morning in Tehran: some of today's activities are past, some still to come.
NOW = datetime(2025, 5, 20, 7, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def seed(customers: int = 60, seed: int = 4) -> str:
    out = StringIO()
    call_command("seed_demo", customers=customers, seed=seed, stdout=out)
    return out.getvalue()


def wipe(*, catalogue: bool = False) -> None:
    """Everything the seed made, children first (orders protect their customers). The catalogue
    and the lead rules stay unless asked: a second seed reuses them."""
    wipe_protecting_rows()
    # Returns first: they protect their orders and order lines.
    models = (OrderReturn, Ticket, Payment, SurveyInvitation, Invoice, OrderLine, Order, Activity, LeadAssignment, Lead)
    for model in models:
        model.objects.all().delete()
    for model in (StageChange, OpportunityLine, BuyingRole, Opportunity, Customer, User, Team):
        model.objects.all().delete()
    if catalogue:
        for model in (Product, AssignmentRule, ScoringRule):
            model.objects.all().delete()
        ProductCategory.objects.filter(parent__isnull=False).delete()
        ProductCategory.objects.all().delete()


def fingerprint() -> dict[str, list[tuple]]:
    """The sales rows by their natural keys (numbers, SKUs, codes, usernames), not their ids."""
    return {
        "products": list(Product.objects.order_by("sku").values_list("sku", "name", "list_price", "unit_cost")),
        "orders": list(
            Order.objects.order_by("number").values_list(
                "number", "customer__code", "status", "ordered_at", "delivered_at", "paid_at", "total",
                "cost_total", "owner__username", "thank_you_due_at", "survey_sent_at",
            )
        ),
        "lines": list(
            OrderLine.objects.order_by("order__number", "pk").values_list(
                "order__number", "product__sku", "quantity", "unit_price", "discount_percent", "line_total"
            )
        ),
        "invoices": list(
            Invoice.objects.order_by("number").values_list("number", "order__number", "status", "due_on", "amount_paid")
        ),
        "payments": list(
            Payment.objects.order_by("invoice__number", "paid_at", "pk").values_list(
                "invoice__number", "amount", "method", "paid_at", "reference"
            )
        ),
        "returns": list(
            OrderReturn.objects.order_by("number").values_list(
                "number", "order__number", "customer__code", "returned_on", "reason", "note", "amount", "tax_amount",
                "cost_recovered", "created_by__username", "created_at", "lines__order_line__product__sku",
                "lines__quantity",
            )
        ),
        "leads": list(
            Lead.objects.order_by("created_at", "name", "pk").values_list(
                "name", "status", "score", "owner__username", "created_at", "customer__code"
            )
        ),
        "opportunities": list(
            Opportunity.objects.order_by("created_at", "name", "pk").values_list(
                "name", "customer__code", "stage__name", "status", "amount", "expected_close_date", "method"
            )
        ),
        "activities": list(
            Activity.objects.order_by("due_at", "subject", "pk").values_list(
                "subject", "kind", "status", "due_at", "assignee__username", "outcome", "remind_at"
            )
        ),
    }  # fmt: skip


def test_it_makes_products_orders_leads_opportunities_and_activities():
    output = seed(60)

    assert "Sales:" in output
    assert 250 <= Product.objects.count() <= 400
    assert Product.objects.filter(is_active=False).exists()
    for product in Product.objects.all():
        assert product.tax_rate == Decimal(10)
        assert Decimal("0.15") <= 1 - product.unit_cost / product.list_price <= Decimal("0.46"), product.sku
    lines = OrderLine.objects.count()
    assert 6 * 60 <= lines <= 14 * 60  # about ten order lines per customer
    assert Lead.objects.count() >= 30
    assert Opportunity.objects.count() >= 16
    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert statuses["delivered"] > statuses["cancelled"] > 0
    ordered = list(Order.objects.values_list("ordered_at", flat=True))
    assert min(ordered) < timezone.now() - timedelta(days=365)
    assert max(ordered) < timezone.now()
    assert ProductAffinity.objects.exists()  # the suggestion tables were refreshed
    assert GroupProductPopularity.objects.exists()


def test_the_same_seed_gives_the_same_sales_data():
    seed(60, seed=4)
    first = fingerprint()
    wipe()
    seed(60, seed=4)

    assert fingerprint() == first
    assert len(first["lines"]) > 100
    assert first["returns"]


def test_order_totals_are_the_sums_of_lines_priced_by_totals_py():
    seed(60)

    lines = defaultdict(list)
    for line in OrderLine.objects.all():
        amounts = line_amounts(
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
        )
        assert (line.net_amount, line.tax_amount, line.line_total) == (amounts.net, amounts.tax, amounts.total)
        lines[line.order_id].append((amounts, line_amounts(quantity=line.quantity, unit_price=line.unit_cost).net))
    for order in Order.objects.all():
        totals = document_amounts(amounts for amounts, _cost in lines[order.pk])
        assert totals.as_fields() == {
            "subtotal": order.subtotal,
            "discount_total": order.discount_total,
            "tax_total": order.tax_total,
            "total": order.total,
        }
        assert order.cost_total == sum(cost for _amounts, cost in lines[order.pk])
        assert order.total > order.cost_total


def test_invoices_match_their_orders_and_payments():
    seed(60)

    paid = defaultdict(Decimal)
    for invoice_id, amount in Payment.objects.values_list("invoice_id", "amount"):
        paid[invoice_id] += amount
    invoiced = set()
    for invoice in Invoice.objects.select_related("order"):
        order = invoice.order
        invoiced.add(order.pk)
        assert order.status in (Order.Status.CONFIRMED, Order.Status.DELIVERED)
        assert (invoice.total, invoice.customer_id, invoice.owner_id) == (
            order.total,
            order.customer_id,
            order.owner_id,
        )
        assert invoice.amount_paid == paid[invoice.pk]
        if invoice.status == Invoice.Status.PAID:
            assert invoice.amount_paid == invoice.total
            assert invoice.paid_at is not None
            assert order.paid_at == invoice.paid_at
        else:
            assert invoice.paid_at is None
            assert order.paid_at is None
            expected = Invoice.Status.PARTIALLY_PAID if invoice.amount_paid else Invoice.Status.ISSUED
            assert invoice.status == expected
    assert not Order.objects.exclude(pk__in=invoiced).filter(status__in=["confirmed", "delivered"]).exists()
    today = timezone.localdate()
    assert Invoice.objects.filter(status=Invoice.Status.ISSUED, due_on__lt=today).exists()  # overdue
    assert Invoice.objects.filter(status=Invoice.Status.PARTIALLY_PAID).exists()
    assert Payment.objects.values("invoice").distinct().count() < Payment.objects.count()  # some in two parts
    assert len(set(Payment.objects.values_list("method", flat=True))) >= 4
    assert not Payment.objects.filter(paid_at__gt=timezone.now()).exists()


def test_after_sale_messages_and_surveys():
    seed(60)

    now = timezone.now()
    settings = SalesSettings.load()
    scheduled = Order.objects.filter(thank_you_due_at__isnull=False)
    assert scheduled.filter(thank_you_sent_at__isnull=False).exists()
    for order in scheduled:
        assert order.thank_you_due_at == order.paid_at + timedelta(minutes=settings.thank_you_delay_minutes)
        assert order.survey_due_at == order.paid_at + timedelta(days=settings.survey_delay_days)
        for due, sent in (
            (order.thank_you_due_at, order.thank_you_sent_at),
            (order.survey_due_at, order.survey_sent_at),
        ):
            if sent is not None:
                assert due <= sent <= now
                assert 9 <= timezone.localtime(sent).hour < 21  # never in the quiet hours
            elif due < now - timedelta(days=1):
                pytest.fail(f"{order} has a message due long ago and never sent")
    for order in Order.objects.filter(survey_sent_at__isnull=False):
        assert order.survey.token
    answered = SurveyInvitation.objects.filter(answered_at__isnull=False)
    assert answered.exists()
    assert all(1 <= survey.score <= 5 for survey in answered)


def test_about_two_percent_of_delivered_orders_have_a_return_priced_as_the_service_prices_it():
    output = seed(160)

    delivered = Order.objects.filter(status=Order.Status.DELIVERED).count()
    returns = list(OrderReturn.objects.select_related("order").prefetch_related("lines__order_line"))
    assert f"{len(returns):,} returns" in output
    assert len(returns) >= 1 and abs(len(returns) - delivered * 0.02) <= 1
    today = timezone.localdate()
    for order_return in returns:
        order = order_return.order
        (row,) = order_return.lines.all()  # one line each
        line = row.order_line
        assert line.order_id == order.pk and order.status == Order.Status.DELIVERED
        assert order_return.customer_id == order.customer_id and order_return.created_by_id == order.owner_id
        assert timezone.localtime(order.delivered_at).date() <= order_return.returned_on < today
        assert order_return.number.startswith("RET-")
        assert Decimal(0) < row.quantity <= line.quantity
        expected = return_line_amounts(
            bought=line.quantity,
            net_amount=line.net_amount,
            tax_amount=line.tax_amount,
            unit_cost=line.unit_cost,
            returned_before=Decimal(0),
            quantity=row.quantity,
        )
        assert (row.amount, row.tax_amount, row.cost) == (expected.amount, expected.tax, expected.cost)
        assert (order_return.amount, order_return.tax_amount, order_return.cost_recovered) == (
            row.amount,
            row.tax_amount,
            row.cost,
        )
    assert len({order_return.reason for order_return in returns}) >= 2
    numbers = [r.number for r in sorted(returns, key=lambda r: r.pk)]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_opportunities_follow_their_stage_path():
    seed(60)

    changes = defaultdict(list)
    for change in StageChange.objects.order_by("changed_at", "pk"):
        changes[change.opportunity_id].append(change)
    kinds = Counter()
    for opportunity in Opportunity.objects.select_related("stage"):
        kinds[opportunity.status] += 1
        assert opportunity.status == opportunity.stage.kind
        history = changes[opportunity.pk]
        assert history[0].from_stage_id is None
        for before, after in pairwise(history):
            assert after.from_stage_id == before.to_stage_id
            assert after.seconds_in_previous == int((after.changed_at - before.changed_at).total_seconds())
        assert history[-1].to_stage_id == opportunity.stage_id
        assert history[-1].changed_at == opportunity.stage_entered_at
        if opportunity.status == Opportunity.Status.LOST:
            assert opportunity.loss_reason_id is not None
        if opportunity.status == Opportunity.Status.OPEN:
            assert opportunity.closed_at is None
        else:
            assert opportunity.closed_at == opportunity.stage_entered_at
        assert opportunity.amount == sum(
            line_amounts(quantity=line.quantity, unit_price=line.unit_price, discount_percent=line.discount_percent).net
            for line in opportunity.lines.all()
        )
    assert set(kinds) == {"open", "won", "lost"}
    open_stages = Opportunity.objects.filter(status="open").values("stage").distinct().count()
    assert open_stages >= 2
    assert Stage.objects.filter(kind="open").count() >= open_stages


def test_leads_have_owners_history_and_reasons():
    seed(60)

    for lead in Lead.objects.prefetch_related("assignments"):
        history = sorted(lead.assignments.all(), key=lambda row: (row.assigned_at, row.pk))
        assert history, lead
        assert history[-1].to_user_id == lead.owner_id
        if lead.status == Lead.Status.DISQUALIFIED:
            assert lead.disqualify_reason_id is not None
        if lead.status == Lead.Status.CONVERTED:
            assert lead.customer_id and lead.opportunity_id and lead.converted_at
            assert lead.opportunity.customer_id == lead.customer_id
    assert Lead.objects.filter(assignment_rule__isnull=False).exists()
    assert {"sales1", "sales2"} <= set(Lead.objects.values_list("owner__username", flat=True))


def test_activities_are_about_something_and_fill_my_day():
    seed(60)

    now = timezone.now()
    today = timezone.localdate()
    for activity in Activity.objects.all():
        assert activity.customer_id or activity.lead_id or activity.opportunity_id
        if activity.status == Activity.Status.DONE:
            assert activity.done_at is not None
            assert activity.done_at <= now
        if activity.kind == Activity.Kind.CALL and activity.status == Activity.Status.DONE:
            assert activity.direction and activity.outcome
        if activity.interaction_id:
            assert activity.interaction.customer_id == activity.customer_id
    for username in ("sales1", "sales2", "manager"):
        mine = Activity.objects.filter(assignee__username=username, status=Activity.Status.OPEN)
        due_days = [timezone.localtime(moment).date() for moment in mine.values_list("due_at", flat=True)]
        assert any(day < today for day in due_days), username  # overdue
        assert any(day == today for day in due_days), username
        assert any(day > today for day in due_days), username
    assert Activity.objects.filter(remind_at__gt=now, reminder_sent_at__isnull=True).exists()


def test_the_sales_part_runs_in_a_fixed_number_of_queries():
    counts = []
    for customers in (40, 160):
        wipe(catalogue=True)
        ctx = crm_demo.DemoContext(seed=1, customers=customers)
        crm_demo.seed(ctx)
        customers_demo.seed(ctx)
        ContentType.objects.clear_cache()  # as in a fresh process
        with CaptureQueriesContext(connection) as captured:
            sales_demo.seed(ctx)
        counts.append(len(captured))

    assert counts[0] == counts[1]
    assert counts[0] <= 47  # 43 before returns; they read the last number and the chosen lines, write 2 tables
