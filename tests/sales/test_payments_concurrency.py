"""Two payments recorded at the same moment cannot together overpay an invoice, and two orders
created at once get different numbers (PostgreSQL: real row locks and a real unique index)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from sales.models import Invoice, Order, Payment
from sales.services.invoices import order_invoice, payment_record
from sales.services.orders import order_confirm, order_create
from tests.factories import CustomerFactory
from tests.sales.factories import ProductFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def run_together(target, count: int) -> list:
    barrier = threading.Barrier(count)
    results: list = []

    def worker():
        try:
            barrier.wait()
            results.append(target())
        except ValidationError as error:
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_payments_at_once_cannot_overpay(rep):
    product = ProductFactory(list_price=Decimal("100.00"), tax_rate=Decimal("0"))
    order = order_create(
        customer=CustomerFactory(owner=rep), owner=rep, by=rep, lines=[{"product": product, "quantity": 1}]
    )
    order_confirm(order=order)
    invoice = order_invoice(order=order, by=rep)

    results = run_together(
        lambda: payment_record(invoice=invoice, amount=Decimal("60.00"), method="cash", paid_at=timezone.now(), by=rep),
        2,
    )
    assert sum(isinstance(result, Payment) for result in results) == 1
    assert sum(isinstance(result, ValidationError) for result in results) == 1
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("60.00") and Payment.objects.count() == 1
    assert invoice.status == Invoice.Status.PARTIALLY_PAID


def test_orders_created_at_once_get_different_numbers(rep):
    product = ProductFactory()
    customer = CustomerFactory(owner=rep)
    results = run_together(
        lambda: order_create(customer=customer, owner=rep, by=rep, lines=[{"product": product, "quantity": 1}]).number,
        4,
    )
    assert len(set(results)) == 4 and Order.objects.count() == 4
