"""The line editor (catalogue rendered once, at most 200 lines), the suggestions following the
lines, the owner filter within the user's scope, and the 360° panel's partial-balance label."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from sales.models import Order, Quote
from sales.services.invoices import order_invoice
from sales.services.orders import order_confirm, order_create
from tests.factories import CustomerFactory
from tests.sales.factories import ProductFactory

pytestmark = pytest.mark.django_db
D = Decimal


def editor_data(lines, prefix="lines", **extra):
    data = {f"{prefix}-TOTAL_FORMS": str(len(lines)), f"{prefix}-INITIAL_FORMS": "0", **extra}
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def make_order(owner, *, products, customer=None):
    customer = customer or CustomerFactory(owner=owner, team=owner.team)
    return order_create(
        customer=customer, owner=owner, by=owner, lines=[{"product": p, "quantity": D(1)} for p in products]
    )


def test_the_catalogue_is_rendered_once_whatever_the_number_of_rows(client_for, rep):
    catalogue = [ProductFactory(list_price=D("10.00")) for _ in range(6)]
    unused = ProductFactory(list_price=D("10.00"))
    order = make_order(rep, products=catalogue)
    page = client_for(rep).get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert 'template class="line-product-options"' in page
    # Once in the shared options, never in the six rows nor the empty row.
    assert page.count(f'<option value="{unused.pk}"') == 1
    # Each row still carries its own product, chosen.
    assert page.count(f'<option value="{catalogue[0].pk}" selected>') == 1


def test_more_than_200_lines_are_refused_and_nothing_is_written(client_for, rep):
    customer = CustomerFactory(owner=rep, team=rep.team)
    product = ProductFactory(list_price=D("10.00"))
    data = editor_data([{"product": str(product.pk), "quantity": "1"}] * 201, customer=str(customer.pk))
    response = client_for(rep).post(reverse("sales:order_create"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="line-errors"' in page and "at most 200" in page
    assert not Order.objects.exists()


def _suggestion_products(page: str) -> list[int]:
    url = re.search(r'hx-get="([^"]*suggestions[^"]*)"', page).group(1)
    return [int(value) for value in re.findall(r"product=(\d+)", url)]


def test_a_new_order_suggests_from_the_posted_lines(client_for, rep):
    customer = CustomerFactory(owner=rep, team=rep.team)
    first, second = ProductFactory(list_price=D("10.00")), ProductFactory(list_price=D("20.00"))
    lines = [
        {"product": str(first.pk), "quantity": "1"},
        {"product": str(second.pk), "quantity": "1", "DELETE": "on"},
    ]
    data = editor_data(lines, customer=str(customer.pk), recalculate="1")
    page = client_for(rep).post(reverse("sales:order_create"), data).content.decode()
    assert 'data-suggestions-url="' in page
    assert _suggestion_products(page) == [first.pk]  # the deleted row is left out
    assert not Order.objects.exists()


def test_a_new_quote_suggests_from_the_posted_lines(client_for, rep):
    customer = CustomerFactory(owner=rep, team=rep.team)
    product = ProductFactory(list_price=D("10.00"))
    data = editor_data(
        [{"product": str(product.pk), "quantity": "1"}],
        customer=str(customer.pk),
        issued_on="2026-03-01",
        recalculate="1",
    )
    page = client_for(rep).post(reverse("sales:quote_create"), data).content.decode()
    assert _suggestion_products(page) == [product.pk]
    assert not Quote.objects.exists()


def _owner_options(page: str) -> set[str]:
    select = re.search(r'<select[^>]*name="owner".*?</select>', page, re.S).group(0)
    return set(re.findall(r'<option value="(\d+)"', select))


@pytest.mark.parametrize("url_name", ["sales:quote_list", "sales:order_list", "sales:invoice_list"])
def test_the_owner_filter_offers_only_the_users_scope(url_name, client_for, rep, rep2, manager, outsider_rep, admin):
    rep_options = _owner_options(client_for(rep).get(reverse(url_name)).content.decode())
    assert rep_options == {str(rep.pk)}
    manager_options = _owner_options(client_for(manager).get(reverse(url_name)).content.decode())
    assert {str(rep.pk), str(rep2.pk)} <= manager_options
    assert str(outsider_rep.pk) not in manager_options
    admin_options = _owner_options(client_for(admin).get(reverse(url_name)).content.decode())
    assert {str(rep.pk), str(rep2.pk), str(outsider_rep.pk)} <= admin_options


def test_the_panel_says_when_the_balance_is_partial(client_for, rep, admin):
    customer = CustomerFactory(owner=rep, team=rep.team)
    order = order_confirm(order=make_order(rep, products=[ProductFactory(list_price=D("100.00"))], customer=customer))
    order_invoice(order=order, by=rep, due_in_days=14)
    url = reverse("customers:detail", args=[customer.pk])
    page = client_for(rep).get(url).content.decode()
    assert 'data-testid="panel-balance-label">Balance on the invoices you can see' in page
    page = client_for(admin).get(url).content.decode()
    assert 'data-testid="panel-balance-label">Balance due' in page
