"""The "Lifetime value" panel of the customer's 360° page: every component of the historic
value (nominal and discounted), the predicted figures, RFM and Pareto, the empty state before the
first computation, who sees it, what to offer the customer next (sales' suggestions), and a
customer page whose query count does not grow with the customer's history."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import CustomerGroup
from sales.models import GroupProductPopularity, Order, ProductAffinity
from tests.analytics.test_report_pages import _frozen_clock, valued  # noqa: F401  (the frozen clock)
from tests.factories import CustomerFactory
from tests.sales.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def value(rep):
    return valued(
        rep,
        name="Arman",
        clv="1234.56",
        predicted="880.00",
        acquired_on=datetime.date(2023, 1, 10),
        first_purchase_on=datetime.date(2023, 1, 10),
        last_purchase_on=datetime.date(2025, 4, 2),
        orders=6,
        activities=3,
        messages=12,
        tickets=2,
        revenue="5000.00",
        returns="200.00",
        cost_of_goods="2500.00",
        acquisition_cost="150.00",
        order_costs="300.00",
        activity_costs="90.00",
        message_costs="24.00",
        service_costs="160.00",
        revenue_pv="4500.00",
        returns_pv="190.00",
        cost_of_goods_pv="2250.00",
        order_costs_pv="270.00",
        activity_costs_pv="80.00",
        message_costs_pv="20.00",
        service_costs_pv="135.44",
        expected_purchases=2.75,
        expected_spend=D("400.00"),
        margin_ratio=0.8,
        stats={
            "p_alive": 0.75,
            "churn_risk": 0.5,
            "pareto_class": "A",
            "rfm_segment": "loyal",
            "rfm_recency": 4,
            "rfm_frequency": 5,
            "rfm_monetary": 4,
            "value_at_risk": D("440.00"),
        },
    )


def panel_of(client, customer) -> str:
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    start = content.find('id="panel-lifetime-value"')
    assert start >= 0, "no lifetime-value panel"
    return content[start : content.find('<div class="card shadow-sm', start + 10)]


def cell(panel: str, testid: str) -> str:
    marker = f'data-testid="{testid}"'
    start = panel.index(marker)
    return panel[start : panel.index("</tr>", start)] if "component" in testid else panel[start : start + 200]


def test_the_panel_takes_the_value_apart(value, rep, client_for):
    panel = panel_of(client_for(rep), value.customer)
    # Each component as it happened and discounted; costs with a minus sign.
    assert "5,000.00" in cell(panel, "component-revenue") and "4,500.00" in cell(panel, "component-revenue")
    assert "(6)" in cell(panel, "component-revenue")
    assert "−200.00" in cell(panel, "component-returns") and "−190.00" in cell(panel, "component-returns")
    assert "−2,500.00" in cell(panel, "component-cost_of_goods")
    assert "−150.00" in cell(panel, "component-acquisition")
    assert "−300.00" in cell(panel, "component-orders") and "−270.00" in cell(panel, "component-orders")
    assert "(3)" in cell(panel, "component-activities") and "−80.00" in cell(panel, "component-activities")
    assert "(12)" in cell(panel, "component-messages") and "−20.00" in cell(panel, "component-messages")
    assert "(2)" in cell(panel, "component-service") and "−135.44" in cell(panel, "component-service")
    # Gross margin 4,500 - 190 - 2,250 = 2,060; costs 150 + 270 + 80 + 20 + 135.44 = 655.44.
    assert 'data-testid="component-gross-margin"><span dir="ltr">2,060.00<' in panel
    assert 'data-testid="component-costs"><span dir="ltr">−655.44<' in panel
    assert 'data-testid="component-total"><span dir="ltr">1,234.56<' in panel
    # Nominal: 5,000 - 200 - 2,500 - (150 + 300 + 90 + 24 + 160) = 1,576.
    assert "1,576.00" in panel
    assert 'data-testid="panel-clv-predicted">880' in panel
    assert 'data-testid="panel-expected">2.75' in panel
    assert 'data-testid="panel-p-alive">75%' in panel
    assert "50%" in cell(panel, "panel-churn")
    assert "Pareto class A" in panel and ">Loyal<" in panel and "R4 F5 M4" in panel
    assert "440 at risk" in panel
    assert "2.75 expected purchases × 400 expected spend each × a 80% gross margin" in panel
    assert "at 20% a year" in panel


def test_before_the_first_computation_the_panel_says_so(rep, client_for):
    customer = CustomerFactory(owner=rep, team=rep.team)
    panel = panel_of(client_for(rep), customer)
    assert 'data-testid="value-empty"' in panel


def test_only_analytics_users_within_their_scope_see_the_figures(value, rep2, manager, agent, client_for):
    customer = value.customer
    assert "1,234.56" in panel_of(client_for(manager), customer)
    # Service agents see the customer but not the analytics area.
    response = client_for(agent).get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200 and b'id="panel-lifetime-value"' not in response.content
    # A rep allowed every customer is still limited to their own figures.
    rep2.user_permissions.add(Permission.objects.get(codename="access_all_customers"))
    panel = panel_of(client_for(rep2), customer)
    assert 'data-testid="value-hidden"' in panel and "1,234.56" not in panel


def bought(customer, *products, owner) -> Order:
    order = OrderFactory(customer=customer, owner=owner, status=Order.Status.DELIVERED)
    for product in products:
        OrderLineFactory(order=order, product=product)
    return order


def suggestions_of(client, customer):
    return client.get(reverse("analytics:value_suggestions", args=[customer.pk]), HTTP_HX_REQUEST="true")


def test_the_panel_loads_what_similar_customers_buy_and_this_one_has_not(value, rep, client_for):
    customer = value.customer
    tea, cups, sugar, kettle = (ProductFactory(name=name) for name in ("Tea", "Cups", "Sugar", "Kettle"))
    bought(customer, tea, sugar, owner=rep)
    ProductAffinity.objects.create(product=tea, other=cups, orders=40)
    ProductAffinity.objects.create(product=tea, other=sugar, orders=90)  # already bought: not offered
    group = CustomerGroup.objects.create(name="Cafes", path="pending/")
    group.path = f"{group.pk}/"
    group.save()
    customer.groups.add(group)
    GroupProductPopularity.objects.create(group=group, product=kettle, customers=12)
    client = client_for(rep)
    panel = panel_of(client, customer)
    assert reverse("analytics:value_suggestions", args=[customer.pk]) in panel  # loaded after the page
    suggestions = suggestions_of(client, customer).content.decode()
    assert b"<html" not in suggestions.encode()
    assert "Cups" in suggestions and "Bought together 40 times" in suggestions
    assert "Kettle" in suggestions and "Popular in the group Cafes: 12 customers" in suggestions
    assert "Sugar" not in suggestions and "Tea</span>" not in suggestions
    assert f"{reverse('sales:quote_create')}?customer={customer.pk}" in suggestions


def test_suggestions_follow_the_panels_access(value, rep2, outsider_rep, agent, marketer, client_for):
    customer = value.customer
    assert suggestions_of(client_for(marketer), customer).status_code == 200
    assert suggestions_of(client_for(agent), customer).status_code == 403
    assert suggestions_of(client_for(outsider_rep), customer).status_code == 404
    rep2.user_permissions.add(Permission.objects.get(codename="access_all_customers"))
    assert suggestions_of(client_for(rep2), customer).status_code == 404  # sees the customer, not the figures


def test_the_customer_page_and_the_suggestions_cost_a_constant_number_of_queries(value, rep, client_for):
    customer = value.customer
    client = client_for(rep)
    owned = [ProductFactory() for _index in range(8)]
    offered = [ProductFactory() for _index in range(8)]
    bought(customer, owned[0], owner=rep)
    ProductAffinity.objects.create(product=owned[0], other=offered[0], orders=3)
    url = reverse("customers:detail", args=[customer.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as page_one:
        client.get(url)
    with CaptureQueriesContext(connection) as suggestions_one:
        suggestions_of(client, customer)
    for index in range(1, 8):
        bought(customer, owned[index], owned[index - 1], owner=rep)
        ProductAffinity.objects.create(product=owned[index], other=offered[index], orders=index + 3)
    with CaptureQueriesContext(connection) as page_many:
        client.get(url)
    with CaptureQueriesContext(connection) as suggestions_many:
        response = suggestions_of(client, customer)
    assert response.content.count(b"Bought together") == 4  # the four best of eight offers
    assert len(page_many) == len(page_one), [query["sql"] for query in page_many.captured_queries]
    assert len(suggestions_many) == len(suggestions_one)


def test_the_panel_itself_runs_two_queries(value, rep, rf, django_assert_num_queries):
    from analytics.panels import value_panel_context
    from customers.selectors import customer_get

    customer = customer_get(user=rep, pk=value.customer_id)  # loads the figures row with the customer
    request = rf.get("/")
    request.user = rep
    rep.groups.all()  # the user's roles are read once per request, before the panels
    value_panel_context(request, customer)  # warm: the user's roles and teams, cached on the user
    with django_assert_num_queries(2):  # the value row, the settings
        context = value_panel_context(request, customer)
    assert context["breakdown"].value.clv_historic == D("1234.56")
