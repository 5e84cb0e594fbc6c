"""Invoice pages, the payment form, and the 360° panel's balance and overdue invoices."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sales.models import Invoice, Payment
from sales.services.invoices import order_invoice, payment_record
from sales.services.orders import order_confirm, order_create
from tests.factories import CustomerFactory
from tests.sales.factories import ProductFactory

pytestmark = pytest.mark.django_db
D = Decimal


def make_invoice(owner, *, customer=None, price="100.00", lines=1, due_in_days=14):
    customer = customer or CustomerFactory(owner=owner, team=owner.team)
    products = [ProductFactory(list_price=D(price), tax_rate=D("0")) for _ in range(lines)]
    order = order_create(
        customer=customer, owner=owner, by=owner, lines=[{"product": p, "quantity": D(1)} for p in products]
    )
    order_confirm(order=order)
    return order_invoice(order=order, by=owner, due_in_days=due_in_days)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def pay_data(amount, **extra):
    paid_at = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    return {"amount": amount, "method": "transfer", "paid_at": paid_at, "reference": "T-1", **extra}


def test_the_list_shows_own_invoices_and_flags_overdue(client_for, rep, rep2):
    with time_machine.travel(dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC), tick=False):
        late = make_invoice(rep, due_in_days=5)
    current = make_invoice(rep)
    theirs = make_invoice(rep2)
    client = client_for(rep)
    page = client.get(reverse("sales:invoice_list")).content.decode()
    assert late.number in page and current.number in page and theirs.number not in page
    assert page.count("data-overdue") == 1
    page = client.get(reverse("sales:invoice_list"), {"overdue": "on"}).content.decode()
    assert late.number in page and current.number not in page


@pytest.mark.parametrize("persona", ["marketer", "agent", "contractor"])
def test_other_roles_are_refused(persona, personas, client_for, rep):
    invoice = make_invoice(rep)
    client = client_for(personas[persona])
    for url in (
        reverse("sales:invoice_list"),
        invoice.get_absolute_url(),
        reverse("sales:invoice_print", args=[invoice.pk]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("sales:payment_create", args=[invoice.pk]), pay_data("10")).status_code == 403
    assert not Payment.objects.exists()


def test_a_rep_cannot_reach_another_reps_invoice(client_for, rep, rep2, outsider_rep):
    client = client_for(rep)
    for invoice in (make_invoice(rep2), make_invoice(outsider_rep)):
        assert client.get(invoice.get_absolute_url()).status_code == 404
        assert client.get(reverse("sales:invoice_print", args=[invoice.pk])).status_code == 404
        assert client.post(reverse("sales:payment_create", args=[invoice.pk]), pay_data("10")).status_code == 404
        assert client.post(reverse("sales:invoice_void", args=[invoice.pk])).status_code == 404
    assert not Payment.objects.exists() and not Invoice.objects.filter(status="void").exists()


def test_the_list_runs_a_constant_number_of_queries(client_for, rep, django_assert_max_num_queries):
    client = client_for(rep)
    make_invoice(rep)
    one = count_queries(client, reverse("sales:invoice_list"))
    for _ in range(8):
        make_invoice(rep)
    with django_assert_max_num_queries(one):
        client.get(reverse("sales:invoice_list"))


def test_detail_and_print_run_a_constant_number_of_queries(client_for, rep, django_assert_max_num_queries):
    client = client_for(rep)
    small, large = make_invoice(rep), make_invoice(rep, lines=10)
    payment_record(invoice=small, amount=D("1"), method="cash", paid_at=timezone.now(), by=rep)
    for _ in range(5):
        payment_record(invoice=large, amount=D("1"), method="cash", paid_at=timezone.now(), by=rep)
    for name in ("sales:invoice_detail", "sales:invoice_print"):
        one = count_queries(client, reverse(name, args=[small.pk]))
        with django_assert_max_num_queries(one):
            assert client.get(reverse(name, args=[large.pk])).status_code == 200


@time_machine.travel(dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC), tick=False)
def test_record_partial_payments_through_the_page(client_for, rep):
    invoice = make_invoice(rep, price="300.00")
    client = client_for(rep)
    response = client.post(reverse("sales:payment_create", args=[invoice.pk]), pay_data("120"))
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "partial" and invoice.balance == D("180.00")
    page = client.get(invoice.get_absolute_url()).content.decode()
    assert "180.00" in page and "T-1" in page
    client.post(reverse("sales:payment_create", args=[invoice.pk]), pay_data("180.00", method="cash"))
    invoice.refresh_from_db()
    invoice.order.refresh_from_db()
    assert invoice.status == "paid" and invoice.order.paid_at is not None


def test_an_overpayment_is_refused_next_to_the_amount(client_for, rep):
    invoice = make_invoice(rep, price="300.00")
    response = client_for(rep).post(reverse("sales:payment_create", args=[invoice.pk]), pay_data("300.01"))
    assert response.status_code == 400
    assert 'data-testid="error-amount"' in response.content.decode()
    assert "overpayments are not accepted" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0 and not Payment.objects.exists()


def test_a_payment_with_a_bad_method_writes_nothing(client_for, rep):
    invoice = make_invoice(rep)
    response = client_for(rep).post(reverse("sales:payment_create", args=[invoice.pk]), pay_data("10", method="gold"))
    assert response.status_code == 400 and not Payment.objects.exists()


def test_void_an_unpaid_invoice(client_for, rep):
    invoice = make_invoice(rep)
    client_for(rep).post(reverse("sales:invoice_void", args=[invoice.pk]))
    invoice.refresh_from_db()
    assert invoice.status == "void"


def test_the_invoice_print_page(client_for, rep):
    invoice = make_invoice(rep)
    page = client_for(rep).get(reverse("sales:invoice_print", args=[invoice.pk])).content.decode()
    assert invoice.number in page and invoice.order.number in page and "Bill to" in page
    assert 'id="main-nav"' not in page and "data-print" in page


# --- the 360° panel ------------------------------------------------------------------------------


def test_the_panel_shows_balance_overdue_orders_and_revenue(client_for, rep):
    customer = CustomerFactory(owner=rep, team=rep.team)
    with time_machine.travel(dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC), tick=False):
        late = make_invoice(rep, customer=customer, price="400.00", due_in_days=10)
    current = make_invoice(rep, customer=customer, price="250.00")
    paid = make_invoice(rep, customer=customer, price="90.00")
    payment_record(invoice=late, amount=D("100"), method="cash", paid_at=timezone.now(), by=rep)
    payment_record(invoice=paid, amount=D("90"), method="cash", paid_at=timezone.now(), by=rep)
    page = client_for(rep).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'data-testid="orders-panel"' in page
    # Balance 300 (late) + 250 (current); overdue 300; revenue paid 190.
    assert 'data-testid="panel-balance">550.00' in page
    assert 'data-testid="panel-overdue">300.00' in page
    assert 'data-testid="panel-revenue">190.00' in page
    assert late.number in page and late.order.number in page and current.order.number in page


def test_the_panel_counts_only_what_the_user_may_see(client_for, rep, rep2, manager):
    customer = CustomerFactory(owner=rep, team=rep.team)
    make_invoice(rep, customer=customer, price="100.00")
    make_invoice(rep2, customer=customer, price="40.00")
    page = client_for(rep).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'data-testid="panel-balance">100.00' in page
    page = client_for(manager).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'data-testid="panel-balance">140.00' in page


def test_the_panel_is_not_shown_outside_sales(client_for, marketer, rep):
    customer = CustomerFactory(owner=rep, team=rep.team)
    make_invoice(rep, customer=customer)
    page = client_for(marketer).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'data-testid="orders-panel"' not in page


def test_the_panel_runs_a_constant_number_of_queries(client_for, rep, django_assert_max_num_queries):
    client = client_for(rep)
    customer = CustomerFactory(owner=rep, team=rep.team)
    make_invoice(rep, customer=customer)
    url = reverse("customers:detail", args=[customer.pk])
    one = count_queries(client, url)
    for _ in range(6):
        invoice = make_invoice(rep, customer=customer)
        payment_record(invoice=invoice, amount=D("1"), method="cash", paid_at=timezone.now(), by=rep)
    with django_assert_max_num_queries(one):
        client.get(url)
