"""Quote → order → invoice → payments: statuses, balances, the order paid, after-sale timing,
and every refusal writing nothing."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Interaction
from sales.models import Invoice, Order, Payment, Quote, SalesSettings
from sales.numbering import save_with_number
from sales.services.invoices import invoice_void, order_invoice, payment_record
from sales.services.orders import (
    order_cancel,
    order_confirm,
    order_create,
    order_deliver,
    order_schedule_after_sale,
)
from sales.services.quotes import quote_accept, quote_create, quote_reject, quote_send, quote_to_order
from tests.factories import CustomerFactory
from tests.sales.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def product(db):
    return ProductFactory(list_price=D("1000.00"), unit_cost=D("600.00"), tax_rate=D("10.00"))


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep, team=rep.team)


def make_quote(customer, owner, product, quantity="2"):
    return quote_create(
        customer=customer,
        owner=owner,
        issued_on=dt.date(2026, 3, 10),
        lines=[{"product": product, "quantity": D(quantity), "discount_percent": D("10")}],
    )


def make_invoice(customer, owner, product):
    order = order_create(customer=customer, owner=owner, by=owner, lines=[{"product": product, "quantity": D(1)}])
    order_confirm(order=order)
    return order_invoice(order=order, by=owner)


@time_machine.travel(NOW, tick=False)
def test_quote_to_order_to_invoice_to_partial_payments_to_paid(rep, customer, product):
    quote = make_quote(customer, rep, product)
    assert quote.number.startswith("Q-") and quote.status == Quote.Status.DRAFT
    quote_send(quote=quote)
    quote_accept(quote=quote)

    order = quote_to_order(quote=quote, by=rep)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.ORDERED
    assert order.number.startswith("SO-") and order.quote_id == quote.pk
    # 2 × 1000 less 10% = 1800 net, 180 tax; the goods cost 2 × 600.
    assert (order.subtotal, order.discount_total, order.tax_total, order.total) == (
        D("2000.00"),
        D("200.00"),
        D("180.00"),
        D("1980.00"),
    )
    assert order.cost_total == D("1200.00")
    assert order.lines.get().unit_cost == D("600.00")
    assert Interaction.objects.filter(customer=customer, kind="order", object_id=str(order.pk)).count() == 1

    order_confirm(order=order)
    invoice = order_invoice(order=order, by=rep, due_in_days=14)
    assert invoice.number.startswith("INV-")
    assert invoice.total == order.total and invoice.balance == D("1980.00")
    assert invoice.due_on == dt.date(2026, 3, 24)
    assert (invoice.owner_id, invoice.team_id) == (order.owner_id, order.team_id)

    payment_record(invoice=invoice, amount=D("500"), method="cash", paid_at=timezone.now(), by=rep)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PARTIALLY_PAID and invoice.balance == D("1480.00")
    order.refresh_from_db()
    assert order.paid_at is None and order.thank_you_due_at is None

    payment_record(invoice=invoice, amount=D("1480.00"), method="card", paid_at=timezone.now(), by=rep, reference="R1")
    invoice.refresh_from_db()
    order.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.balance == 0 and invoice.paid_at == NOW
    assert order.paid_at == NOW
    settings = SalesSettings.load()
    assert order.thank_you_due_at == NOW + dt.timedelta(minutes=settings.thank_you_delay_minutes)
    assert order.survey_due_at == NOW + dt.timedelta(days=settings.survey_delay_days)
    assert Interaction.objects.filter(customer=customer, kind="payment").count() == 2
    assert set(Payment.objects.values_list("method", flat=True)) == {"cash", "card"}


def test_a_quote_becomes_one_order_only(rep, customer, product):
    quote = make_quote(customer, rep, product)
    first = quote_to_order(quote=quote, by=rep)
    second = quote_to_order(quote=quote, by=rep)
    assert first == second and Order.objects.count() == 1


def test_a_rejected_quote_cannot_become_an_order(rep, customer, product):
    quote = make_quote(customer, rep, product)
    quote_reject(quote=quote)
    with pytest.raises(ValidationError, match="cannot become an order"):
        quote_to_order(quote=quote, by=rep)
    assert not Order.objects.exists()
    with pytest.raises(ValidationError):
        quote_send(quote=quote)


def test_after_sale_times_are_set_once_on_the_configured_event(rep, customer, product):
    settings = SalesSettings.load()
    settings.thank_you_trigger = SalesSettings.Trigger.DELIVERED
    settings.thank_you_delay_minutes = 30
    settings.survey_delay_days = 2
    settings.save()
    order = order_create(customer=customer, owner=rep, by=rep, lines=[{"product": product, "quantity": D(1)}])
    order_confirm(order=order)
    with time_machine.travel(NOW, tick=False):
        order_deliver(order=order)
    order.refresh_from_db()
    assert order.thank_you_due_at == NOW + dt.timedelta(minutes=30)
    assert order.survey_due_at == NOW + dt.timedelta(days=2)
    # Paid later: the trigger is "delivered", and a time once set is never moved.
    invoice = order_invoice(order=order, by=rep)
    payment_record(invoice=invoice, amount=invoice.total, method="cash", paid_at=timezone.now(), by=rep)
    order_schedule_after_sale(order=order, event="delivered", at=NOW + dt.timedelta(days=5))
    order.refresh_from_db()
    assert order.paid_at is not None
    assert order.thank_you_due_at == NOW + dt.timedelta(minutes=30)


def test_no_after_sale_times_when_the_messages_are_off(rep, customer, product):
    SalesSettings.objects.filter(pk=SalesSettings.load().pk).update(thank_you_enabled=False, survey_enabled=False)
    invoice = make_invoice(customer, rep, product)
    payment_record(invoice=invoice, amount=invoice.total, method="cash", paid_at=timezone.now(), by=rep)
    order = invoice.order
    order.refresh_from_db()
    assert order.paid_at is not None
    assert order.thank_you_due_at is None and order.survey_due_at is None


def test_overpayment_is_refused_and_nothing_is_written(rep, customer, product):
    invoice = make_invoice(customer, rep, product)
    payment_record(invoice=invoice, amount=D("100"), method="cash", paid_at=timezone.now(), by=rep)
    with pytest.raises(ValidationError) as refused:
        payment_record(invoice=invoice, amount=invoice.total, method="cash", paid_at=timezone.now(), by=rep)
    assert "overpayments are not accepted" in str(refused.value.message_dict["amount"])
    invoice.refresh_from_db()
    assert invoice.amount_paid == D("100.00") and invoice.status == Invoice.Status.PARTIALLY_PAID
    assert Payment.objects.count() == 1
    assert Interaction.objects.filter(kind="payment").count() == 1


@pytest.mark.parametrize("amount", [D("0"), D("-5")])
def test_a_payment_must_be_positive(rep, customer, product, amount):
    invoice = make_invoice(customer, rep, product)
    with pytest.raises(ValidationError):
        payment_record(invoice=invoice, amount=amount, method="cash", paid_at=timezone.now(), by=rep)
    assert not Payment.objects.exists()


def test_a_second_invoice_is_refused_unless_the_first_is_void(rep, customer, product):
    invoice = make_invoice(customer, rep, product)
    with pytest.raises(ValidationError, match="already invoiced"):
        order_invoice(order=invoice.order, by=rep)
    assert Invoice.objects.count() == 1
    invoice_void(invoice=invoice, by=rep)
    again = order_invoice(order=invoice.order, by=rep)
    assert again.pk != invoice.pk and Invoice.objects.count() == 2


def test_a_paid_invoice_cannot_be_voided(rep, customer, product):
    invoice = make_invoice(customer, rep, product)
    payment_record(invoice=invoice, amount=D("1"), method="cash", paid_at=timezone.now(), by=rep)
    with pytest.raises(ValidationError, match="payments"):
        invoice_void(invoice=invoice, by=rep)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PARTIALLY_PAID


def test_a_draft_order_cannot_be_invoiced(rep, customer, product):
    order = order_create(customer=customer, owner=rep, by=rep, lines=[{"product": product, "quantity": D(1)}])
    with pytest.raises(ValidationError, match="Confirm"):
        order_invoice(order=order, by=rep)
    assert not Invoice.objects.exists()


def test_cancel_is_refused_once_invoiced(rep, customer, product):
    invoice = make_invoice(customer, rep, product)
    with pytest.raises(ValidationError, match="invoiced"):
        order_cancel(order=invoice.order)
    invoice.order.refresh_from_db()
    assert invoice.order.status == Order.Status.CONFIRMED
    invoice_void(invoice=invoice, by=rep)
    assert order_cancel(order=invoice.order).status == Order.Status.CANCELLED


def test_bad_lines_write_nothing(rep, customer, product):
    with pytest.raises(ValidationError, match="Line 2"):
        order_create(
            customer=customer,
            owner=rep,
            by=rep,
            lines=[{"product": product, "quantity": D(1)}, {"product": product, "quantity": D(0)}],
        )
    with pytest.raises(ValidationError, match="at least one line"):
        quote_create(customer=customer, owner=rep, issued_on=dt.date(2026, 1, 1), lines=[])
    with pytest.raises(ValidationError, match="discount"):
        quote_create(
            customer=customer,
            owner=rep,
            issued_on=dt.date(2026, 1, 1),
            lines=[{"product": product, "quantity": D(1), "discount_percent": D("120")}],
        )
    assert not Order.objects.exists() and not Quote.objects.exists()
    assert not Interaction.objects.exists()


def test_numbers_are_unique_and_in_sequence(rep, customer, product):
    quotes = [make_quote(customer, rep, product) for _ in range(5)]
    numbers = [quote.number for quote in quotes]
    assert numbers == [f"Q-{n:06d}" for n in range(1, 6)]
    assert len(set(numbers)) == 5


def test_a_number_taken_meanwhile_is_skipped(rep, customer, product):
    """The newest order says SO-000003 but SO-000004 is taken (as by a concurrent insert that
    committed first): the unique index refuses it and the next number is used."""
    OrderFactory(number="SO-000004", customer=customer, owner=rep)
    OrderFactory(number="SO-000003", customer=customer, owner=rep)
    order = order_create(customer=customer, owner=rep, by=rep, lines=[{"product": product, "quantity": D(1)}])
    assert order.number == "SO-000005"
    assert order.lines.count() == 1


def test_numbering_ignores_other_number_forms(customer, rep):
    OrderFactory(number="SO-T000777", customer=customer, owner=rep)
    order = Order(customer=customer, owner=rep, ordered_at=timezone.now())
    save_with_number(instance=order, prefix="SO")
    assert order.number == "SO-000001"
