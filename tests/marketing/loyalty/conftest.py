"""Fixtures of the loyalty tests: the programme's settings, and orders paid through the sales
services (so ORDER_PAID is announced as in production)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from customers.services import group_create
from marketing.models import LoyaltySettings, LoyaltyTier
from sales.models import Invoice, Order, Payment
from sales.services.invoices import order_invoice, payment_record
from tests.factories import CustomerFactory
from tests.sales.factories import OrderFactory, OrderLineFactory, ProductCategoryFactory, ProductFactory


@pytest.fixture
def programme(db) -> LoyaltySettings:
    """1 point per 10,000 paid, a point worth 100, points kept 12 months, tiers over 12 months."""
    settings_row = LoyaltySettings.load()
    settings_row.is_active = True
    settings_row.amount_per_point = Decimal("10000")
    settings_row.point_value = Decimal("100")
    settings_row.expiry_months = 12
    settings_row.min_redemption = 10
    settings_row.tier_window_months = 12
    settings_row.tier_change_sms = "{first_name}, you are now {tier}. Points: {points}."
    settings_row.save()
    return settings_row


@pytest.fixture
def tiers(db) -> dict[str, LoyaltyTier]:
    rows = [("Bronze", 0, "1.00"), ("Silver", 100, "1.10"), ("Gold", 500, "1.50")]
    return {
        name: LoyaltyTier.objects.create(name=name, threshold=threshold, multiplier=Decimal(multiplier))
        for name, threshold, multiplier in rows
    }


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep, team=rep.team, first_name="Sara", phones=["+989121234567"], sms_consent=True)


def make_order(customer, lines, *, owner=None) -> Order:
    """An order with the given lines: (net amount, product category or None) each; no tax."""
    order = OrderFactory(customer=customer, owner=owner or customer.owner)
    total = Decimal(0)
    for net, category in lines:
        product = ProductFactory(category=category, list_price=Decimal(net), tax_rate=Decimal(0))
        OrderLineFactory(order=order, product=product, unit_price=Decimal(net))
        total += Decimal(net)
    Order.objects.filter(pk=order.pk).update(subtotal=total, total=total)
    order.refresh_from_db()
    return order


def invoice_for(order: Order, *, by) -> Invoice:
    return order_invoice(order=order, by=by)


def pay(invoice: Invoice, amount, *, by, method=Payment.Method.CASH) -> Payment:
    return payment_record(
        invoice=invoice, amount=Decimal(amount), method=method, paid_at=timezone.now(), reference="", by=by
    )


def pay_in_full(order: Order, *, by) -> Invoice:
    invoice = invoice_for(order, by=by)
    pay(invoice, invoice.total, by=by)
    return invoice


def category(name: str, parent=None):
    return ProductCategoryFactory(name=name, parent=parent)


def group(name: str, parent=None):
    return group_create(name=name, parent=parent)
