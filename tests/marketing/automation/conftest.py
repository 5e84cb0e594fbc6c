"""Fixtures of the automation tests: rules made through the service, customers, and orders paid
through the sales services (so ORDER_PAID is announced as in production)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.models import AutomationRule
from marketing.services.automation import rule_create
from sales.models import Order, Payment
from sales.services.invoices import order_invoice, payment_record
from sales.services.orders import order_confirm, order_create
from tests.factories import CustomerFactory
from tests.sales.factories import ProductFactory

TAG = [{"type": "add_tag", "tag": "auto"}]


def make_rule(event: str, actions=None, *, params=None, conditions=None, name: str = "", by=None) -> AutomationRule:
    return rule_create(
        by=by,
        name=name or f"Rule on {event}",
        event=event,
        event_params=params or {},
        conditions=conditions or {},
        actions=actions if actions is not None else TAG,
    )


@pytest.fixture
def customer(rep):
    return CustomerFactory(
        owner=rep,
        team=rep.team,
        name="Sara Karimi",
        first_name="Sara",
        phones=["+989121234567"],
        sms_consent=True,
        emails=["sara@example.com"],
        email_consent=True,
    )


@pytest.fixture
def announced(django_capture_on_commit_callbacks):
    """``with announced():`` runs the events announced inside through the listener and the
    (eager) Celery task, as after a real commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def pay_order(customer, *, by, amount: str = "100") -> Order:
    """An order of ``amount`` confirmed, invoiced and paid in full through the sales services."""
    product = ProductFactory(list_price=Decimal(amount), tax_rate=Decimal("0"))
    order = order_create(customer=customer, owner=by, by=by, lines=[{"product": product, "quantity": 1}])
    order_confirm(order=order)
    invoice = order_invoice(order=order, by=by)
    payment_record(invoice=invoice, amount=invoice.total, method=Payment.Method.CASH, paid_at=timezone.now(), by=by)
    order.refresh_from_db()
    return order


def tags_of(customer) -> set[str]:
    return set(customer.tags.values_list("name", flat=True))
