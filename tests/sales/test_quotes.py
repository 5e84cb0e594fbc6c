"""Quote pages: list, create (customer picker, line editor), detail with editing and status
buttons, print; who may see what; constant queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sales.models import Order, Quote
from sales.services.quotes import quote_create
from tests.factories import CustomerFactory
from tests.sales.factories import OpportunityFactory, ProductFactory

pytestmark = pytest.mark.django_db
D = Decimal


def make_quote(owner, *, lines=1, customer=None):
    customer = customer or CustomerFactory(owner=owner, team=owner.team)
    products = [ProductFactory(list_price=D("100.00"), tax_rate=D("9.00")) for _ in range(lines)]
    return quote_create(
        customer=customer,
        owner=owner,
        issued_on=dt.date(2026, 3, 1),
        lines=[{"product": product, "quantity": D(2)} for product in products],
        notes="Delivery within a week.",
    )


def editor_data(lines, prefix="lines", **extra):
    data = {f"{prefix}-TOTAL_FORMS": str(len(lines)), f"{prefix}-INITIAL_FORMS": "0", **extra}
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_shows_own_quotes_only_to_a_rep(client_for, rep, rep2, manager, outsider_rep):
    mine, theirs, outside = make_quote(rep), make_quote(rep2), make_quote(outsider_rep)
    page = client_for(rep).get(reverse("sales:quote_list")).content.decode()
    assert mine.number in page and theirs.number not in page and outside.number not in page
    page = client_for(manager).get(reverse("sales:quote_list")).content.decode()
    assert mine.number in page and theirs.number in page and outside.number not in page


def test_the_list_filters_by_search_and_status(client_for, rep):
    first, second = make_quote(rep), make_quote(rep)
    client = client_for(rep)
    page = client.get(reverse("sales:quote_list"), {"q": first.number}).content.decode()
    assert first.number in page and second.number not in page
    page = client.get(reverse("sales:quote_list"), {"q": second.customer.name.split()[0]}).content.decode()
    assert second.number in page
    page = client.get(reverse("sales:quote_list"), {"status": "accepted"}).content.decode()
    assert first.number not in page


@pytest.mark.parametrize("persona", ["marketer", "agent", "contractor"])
def test_other_roles_are_refused(persona, personas, client_for, rep):
    quote = make_quote(rep)
    client = client_for(personas[persona])
    for url in (
        reverse("sales:quote_list"),
        reverse("sales:quote_create"),
        quote.get_absolute_url(),
        reverse("sales:quote_print", args=[quote.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("sales:quote_send", args=[quote.pk])).status_code == 403


def test_a_rep_cannot_reach_another_reps_quote(client_for, rep, rep2, outsider_rep):
    theirs, outside = make_quote(rep2), make_quote(outsider_rep)
    client = client_for(rep)
    for quote in (theirs, outside):
        assert client.get(quote.get_absolute_url()).status_code == 404
        assert client.get(reverse("sales:quote_print", args=[quote.pk])).status_code == 404
        assert client.post(reverse("sales:quote_send", args=[quote.pk])).status_code == 404
        assert client.post(reverse("sales:quote_order", args=[quote.pk])).status_code == 404
    assert Quote.objects.filter(status="draft").count() == 2 and not Order.objects.exists()


def test_a_manager_sees_the_teams_quotes(client_for, manager, rep):
    quote = make_quote(rep)
    assert client_for(manager).get(quote.get_absolute_url()).status_code == 200


def test_the_list_runs_a_constant_number_of_queries(client_for, rep, django_assert_max_num_queries):
    client = client_for(rep)
    make_quote(rep)
    one = count_queries(client, reverse("sales:quote_list"))
    for _ in range(8):
        make_quote(rep)
    with django_assert_max_num_queries(one):
        client.get(reverse("sales:quote_list"))


def test_detail_and_print_run_a_constant_number_of_queries(client_for, rep, django_assert_max_num_queries):
    client = client_for(rep)
    small, large = make_quote(rep, lines=1), make_quote(rep, lines=12)
    for name in ("sales:quote_detail", "sales:quote_print"):
        one = count_queries(client, reverse(name, args=[small.pk]))
        with django_assert_max_num_queries(one):
            response = client.get(reverse(name, args=[large.pk]))
        assert response.status_code == 200


def test_create_starts_with_a_customer_search_among_visible_customers(client_for, rep, rep2):
    mine = CustomerFactory(name="Zahra Karimi", owner=rep, team=rep.team)
    CustomerFactory(name="Zahra Moradi", owner=rep2, team=rep2.team)
    page = client_for(rep).get(reverse("sales:quote_create"), {"q": "zahra"}).content.decode()
    assert "Zahra Karimi" in page and "Zahra Moradi" not in page
    assert f"?customer={mine.pk}" in page


def test_create_refuses_a_customer_the_rep_cannot_see(client_for, rep, rep2):
    theirs = CustomerFactory(owner=rep2, team=rep2.team)
    assert client_for(rep).get(reverse("sales:quote_create"), {"customer": theirs.pk}).status_code == 404


def test_create_a_quote_through_the_page(client_for, rep):
    customer = CustomerFactory(owner=rep, team=rep.team)
    product = ProductFactory(list_price=D("250.00"), tax_rate=D("10.00"))
    client = client_for(rep)
    page = client.get(reverse("sales:quote_create"), {"customer": customer.pk})
    assert page.status_code == 200 and product.sku in page.content.decode()
    data = editor_data(
        [{"product": product.pk, "quantity": "4", "discount_percent": "25"}],
        customer=customer.pk,
        issued_on="2026-03-01",
        valid_until="2026-03-31",
        notes="Thanks",
    )
    response = client.post(reverse("sales:quote_create"), data)
    quote = Quote.objects.get()
    assert response.status_code == 302 and response.url == quote.get_absolute_url()
    # 1000 gross, 250 off, 750 net, 75 tax: the product's price and tax filled in.
    assert quote.total == D("825.00") and quote.owner == rep and quote.team == rep.team


def test_recalculate_shows_totals_and_saves_nothing(client_for, rep):
    customer = CustomerFactory(owner=rep, team=rep.team)
    product = ProductFactory(list_price=D("10.00"), tax_rate=D("0"))
    data = editor_data([{"product": product.pk, "quantity": "3"}], customer=customer.pk, issued_on="2026-03-01")
    response = client_for(rep).post(reverse("sales:quote_create"), {**data, "recalculate": "1"})
    assert response.status_code == 200
    assert "30.00" in response.content.decode() and "not saved yet" in response.content.decode()
    assert not Quote.objects.exists()


@pytest.mark.parametrize(
    "line, message",
    [
        ({"product": "", "quantity": "1"}, "This field is required"),
        ({"product": "PRODUCT", "quantity": "0"}, "greater than or equal to 0.001"),
        ({"product": "PRODUCT", "quantity": "1", "discount_percent": "150"}, "less than or equal to 100"),
    ],
)
def test_bad_lines_are_shown_and_nothing_is_written(client_for, rep, line, message):
    customer = CustomerFactory(owner=rep, team=rep.team)
    product = ProductFactory()
    line = {key: (str(product.pk) if value == "PRODUCT" else value) for key, value in line.items()}
    data = editor_data([line], customer=customer.pk, issued_on="2026-03-01")
    response = client_for(rep).post(reverse("sales:quote_create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Quote.objects.exists()


def test_a_quote_cannot_expire_before_its_date(client_for, rep):
    customer = CustomerFactory(owner=rep, team=rep.team)
    product = ProductFactory()
    data = editor_data(
        [{"product": product.pk, "quantity": "1"}],
        customer=customer.pk,
        issued_on="2026-03-10",
        valid_until="2026-03-01",
    )
    response = client_for(rep).post(reverse("sales:quote_create"), data)
    assert response.status_code == 400 and "cannot expire before" in response.content.decode()
    assert not Quote.objects.exists()


def test_create_from_an_opportunity_prefills_customer_and_lines(client_for, rep):
    opportunity = OpportunityFactory(owner=rep, customer=CustomerFactory(owner=rep, team=rep.team))
    product = ProductFactory(name="Espresso machine")
    opportunity.lines.create(product=product, quantity=D(2), unit_price=D("500.00"))
    page = client_for(rep).get(reverse("sales:quote_create"), {"opportunity": opportunity.pk}).content.decode()
    assert opportunity.customer.name in page
    assert f'<option value="{product.pk}" selected>' in page


def test_edit_lines_on_the_detail_page(client_for, rep):
    quote = make_quote(rep, lines=2)
    product = ProductFactory(list_price=D("40.00"), tax_rate=D("0"))
    data = editor_data([{"product": product.pk, "quantity": "2"}], notes="New notes")
    response = client_for(rep).post(quote.get_absolute_url(), data)
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.lines.count() == 1 and quote.total == D("80.00") and quote.notes == "New notes"


def test_status_buttons_and_make_an_order(client_for, rep):
    quote = make_quote(rep)
    client = client_for(rep)
    client.post(reverse("sales:quote_send", args=[quote.pk]))
    client.post(reverse("sales:quote_accept", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == "accepted"
    response = client.post(reverse("sales:quote_order", args=[quote.pk]))
    order = Order.objects.get()
    assert response.url == order.get_absolute_url()
    assert client.post(reverse("sales:quote_order", args=[quote.pk])).url == order.get_absolute_url()
    assert Order.objects.count() == 1
    # An ordered quote is no longer editable.
    response = client.post(quote.get_absolute_url(), editor_data([]))
    assert response.status_code == 302 and Quote.objects.get().lines.count() == 1


def test_status_changes_are_post_only(client_for, rep):
    quote = make_quote(rep)
    assert client_for(rep).get(reverse("sales:quote_send", args=[quote.pk])).status_code == 405


def test_the_print_page_is_a_clean_a4_sheet(client_for, rep, settings):
    settings.COMPANY_NAME = "Parsian Trading"
    quote = make_quote(rep)
    page = client_for(rep).get(reverse("sales:quote_print", args=[quote.pk])).content.decode()
    assert "Parsian Trading" in page and quote.number in page and "print.css" in page
    assert "data-print" in page and "Delivery within a week." in page
    assert 'id="main-nav"' not in page
