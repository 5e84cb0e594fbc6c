"""Order pages: list, create, detail (lines, totals, margin, invoices, returns), the status buttons and
"invoice this order"; who may see what; constant queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sales.models import Invoice, Order
from sales.services.invoices import order_invoice, payment_record
from sales.services.orders import order_confirm, order_create
from sales.services.returns import order_return_create
from tests.factories import CustomerFactory
from tests.sales.factories import ProductFactory

pytestmark = pytest.mark.django_db
D = Decimal


def make_order(owner, *, lines=1, confirm=False):
    customer = CustomerFactory(owner=owner, team=owner.team)
    products = [ProductFactory(list_price=D("100.00"), unit_cost=D("70.00"), tax_rate=D("10")) for _ in range(lines)]
    order = order_create(
        customer=customer, owner=owner, by=owner, lines=[{"product": p, "quantity": D(1)} for p in products]
    )
    return order_confirm(order=order) if confirm else order


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_shows_own_orders_only_to_a_rep(client_for, rep, rep2):
    mine, theirs = make_order(rep), make_order(rep2)
    page = client_for(rep).get(reverse("sales:order_list")).content.decode()
    assert mine.number in page and theirs.number not in page


@pytest.mark.parametrize("persona", ["marketer", "agent", "contractor"])
def test_other_roles_are_refused(persona, personas, client_for, rep):
    order = make_order(rep)
    client = client_for(personas[persona])
    for url in (reverse("sales:order_list"), reverse("sales:order_create"), order.get_absolute_url()):
        assert client.get(url).status_code == 403
    assert client.post(reverse("sales:order_confirm", args=[order.pk])).status_code == 403


def test_a_rep_cannot_reach_another_reps_order(client_for, rep, rep2, outsider_rep):
    client = client_for(rep)
    for order in (make_order(rep2), make_order(outsider_rep)):
        assert client.get(order.get_absolute_url()).status_code == 404
        assert client.post(reverse("sales:order_confirm", args=[order.pk])).status_code == 404
        assert client.post(reverse("sales:order_invoice", args=[order.pk]), {"due_in_days": 7}).status_code == 404
    assert not Order.objects.exclude(status="draft").exists() and not Invoice.objects.exists()


def test_a_manager_works_on_the_teams_orders(client_for, manager, rep):
    order = make_order(rep)
    client = client_for(manager)
    assert client.get(order.get_absolute_url()).status_code == 200
    client.post(reverse("sales:order_confirm", args=[order.pk]))
    order.refresh_from_db()
    assert order.status == "confirmed"


def test_the_list_runs_a_constant_number_of_queries(client_for, rep, django_assert_max_num_queries):
    client = client_for(rep)
    make_order(rep)
    one = count_queries(client, reverse("sales:order_list"))
    for _ in range(8):
        make_order(rep)
    with django_assert_max_num_queries(one):
        client.get(reverse("sales:order_list") + "?status=draft&q=SO")


def test_the_detail_runs_a_constant_number_of_queries(client_for, rep, django_assert_max_num_queries):
    client = client_for(rep)
    small = make_order(rep, lines=1, confirm=True)
    large = make_order(rep, lines=12, confirm=True)
    for order in (small, large):
        invoice = order_invoice(order=order, by=rep)
        payment_record(invoice=invoice, amount=D("1"), method="cash", paid_at=timezone.now(), by=rep)
    payment_record(invoice=invoice, amount=D("2"), method="card", paid_at=timezone.now(), by=rep)
    for line in list(large.lines.all())[:3]:  # the large order's returns are listed too
        order_return_create(
            order=large, user=rep, returned_on=timezone.localdate(), reason="other", quantities={line.pk: D(1)}
        )
    one = count_queries(client, small.get_absolute_url())
    with django_assert_max_num_queries(one):
        response = client.get(large.get_absolute_url())
    page = response.content.decode()
    assert invoice.number in page and "Gross margin" in page and page.count("RET-0000") == 3


def test_the_detail_shows_the_margin(client_for, rep):
    order = make_order(rep, lines=2)
    page = client_for(rep).get(order.get_absolute_url()).content.decode()
    # 200 net sales, 140 cost of goods: 60 margin, 30%.
    assert "60.00" in page and "30.0%" in page


def test_create_an_order_through_the_page(client_for, rep):
    customer = CustomerFactory(owner=rep, team=rep.team)
    product = ProductFactory(list_price=D("50.00"), tax_rate=D("0"), unit_cost=D("20.00"))
    data = {
        "customer": customer.pk,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": product.pk,
        "lines-0-quantity": "3",
        "notes": "Gate 2",
    }
    response = client_for(rep).post(reverse("sales:order_create"), data)
    order = Order.objects.get()
    assert response.url == order.get_absolute_url()
    assert (order.total, order.cost_total, order.notes, order.owner) == (D("150.00"), D("60.00"), "Gate 2", rep)


def test_create_with_no_line_writes_nothing(client_for, rep):
    customer = CustomerFactory(owner=rep, team=rep.team)
    data = {"customer": customer.pk, "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}
    response = client_for(rep).post(reverse("sales:order_create"), data)
    assert response.status_code == 400 and "Add at least one line" in response.content.decode()
    assert not Order.objects.exists()


def test_invoice_this_order_once(client_for, rep):
    order = make_order(rep, confirm=True)
    client = client_for(rep)
    response = client.post(reverse("sales:order_invoice", args=[order.pk]), {"due_in_days": "30"})
    invoice = Invoice.objects.get()
    assert response.url == invoice.get_absolute_url()
    assert (invoice.due_on - invoice.issued_on).days == 30
    response = client.post(reverse("sales:order_invoice", args=[order.pk]), {"due_in_days": "30"}, follow=True)
    assert "already invoiced" in response.content.decode()
    assert Invoice.objects.count() == 1


def test_cancel_button_refused_when_invoiced(client_for, rep):
    order = make_order(rep, confirm=True)
    order_invoice(order=order, by=rep)
    response = client_for(rep).post(reverse("sales:order_cancel", args=[order.pk]), follow=True)
    assert "void its invoice" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "confirmed"


def test_deliver_button(client_for, rep):
    order = make_order(rep, confirm=True)
    client_for(rep).post(reverse("sales:order_deliver", args=[order.pk]))
    order.refresh_from_db()
    assert order.status == "delivered" and order.delivered_at is not None


def test_a_confirmed_order_is_not_editable(client_for, rep):
    order = make_order(rep, confirm=True)
    product = ProductFactory()
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": product.pk,
        "lines-0-quantity": "9",
    }
    client_for(rep).post(order.get_absolute_url(), data)
    assert order.lines.get().quantity == 1
