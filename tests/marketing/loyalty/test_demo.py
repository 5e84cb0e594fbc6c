"""The loyalty part of the demo: members for every customer with a paid order, a ledger the
services agree with (nothing more to expire, no tier to change), redemptions paid on invoices,
written in bulk."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from crm_site import demo as crm_demo
from crm_site.demo import DemoContext
from customers import demo as customers_demo
from marketing.demo import loyalty as loyalty_demo
from marketing.models import EarningRule, LoyaltyAccount, LoyaltyTier, PointsEntry
from marketing.services.loyalty import points_expire, tiers_refresh
from sales import demo as sales_demo
from sales.models import Invoice, Order, Payment

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 11, 20, 7, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_demo_members_and_ledger(_frozen):
    ctx = DemoContext(seed=3, customers=150)
    for part in (crm_demo, customers_demo, sales_demo):
        part.seed(ctx)
    with CaptureQueriesContext(connection) as captured:
        loyalty_demo.seed(ctx)
    assert len(captured) < 40  # bulk: the count does not grow with customers or orders

    assert [tier.name for tier in LoyaltyTier.objects.order_by("threshold")] == ["Bronze", "Silver", "Gold", "Platinum"]
    assert EarningRule.objects.count() == 2
    buyers = set(Order.objects.filter(paid_at__isnull=False).values_list("customer_id", flat=True))
    members = set(LoyaltyAccount.objects.values_list("customer_id", flat=True))
    assert members and members <= buyers
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.EARN).count() > len(members)
    balances = PointsEntry.objects.values("account_id").annotate(total=Sum("points"))
    assert min(row["total"] for row in balances) >= 0
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.EXPIRE).exists()
    assert LoyaltyAccount.objects.filter(tier__isnull=False).count() == len(members)
    assert "Loyalty:" in ctx.summary[-1]
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.REDEEM).exists()

    # Payments by points keep the invoices' paid amounts right.
    for invoice in Invoice.objects.filter(payments__method=Payment.Method.POINTS):
        assert invoice.amount_paid == invoice.payments.aggregate(total=Sum("amount"))["total"]
        assert invoice.status == Invoice.Status.PARTIALLY_PAID

    # The jobs agree with what the demo wrote: nothing more to expire, no tier to change.
    assert points_expire() == 0
    assert tiers_refresh() == 0
