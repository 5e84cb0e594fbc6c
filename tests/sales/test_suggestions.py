"""Product suggestions: the refresh of co-purchases and group popularity from a small hand-made
order history, the ranking and its explanations, exclusions, the htmx endpoint's access and its
constant query count, and the nightly task."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.services import group_create
from sales.models import GroupProductPopularity, Order, ProductAffinity
from sales.selectors.suggestions import suggestions_for
from sales.services import suggestions as suggestions_service
from sales.services.suggestions import suggestions_refresh
from sales.tasks.suggestions import refresh_suggestions
from tests.factories import CustomerFactory
from tests.sales.factories import OrderFactory, OrderLineFactory, ProductCategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def order(customer, *products, status=Order.Status.CONFIRMED):
    placed = OrderFactory(customer=customer, status=status)
    for product in products:
        OrderLineFactory(order=placed, product=product)
    return placed


@pytest.fixture
def history(db):
    """Products A..E and four customers; Retail groups three of them.

    Orders (not cancelled): ann {A, B, C}, bob {A, B}, cid {A, B, D}, dan {A, C}, bob {B, B, E}
    (E twice on a line of its own still counts once); cancelled: ann {A, D}, {A, D}.
    """
    retail = group_create(name="Retail")
    wholesale = group_create(name="Wholesale")
    products = {name: ProductFactory(name=f"Product {name}", sku=f"P-{name}") for name in "ABCDE"}
    a, b, c, d, e = (products[name] for name in "ABCDE")
    ann, bob, cid, dan = (CustomerFactory(name=name) for name in ("Ann", "Bob", "Cid", "Dan"))
    for customer in (ann, bob, cid):
        customer.groups.add(retail)
    dan.groups.add(wholesale)
    order(ann, a, b, c)
    order(bob, a, b)
    order(cid, a, b, d)
    order(dan, a, c)
    order(bob, b, b, e)
    order(ann, a, d, status=Order.Status.CANCELLED)
    order(ann, a, d, status=Order.Status.CANCELLED)
    return {"products": products, "retail": retail, "wholesale": wholesale, "customers": (ann, bob, cid, dan)}


def affinities() -> dict[tuple[str, str], int]:
    return {
        (row.product.name[-1], row.other.name[-1]): row.orders
        for row in ProductAffinity.objects.select_related("product", "other")
    }


def popularity() -> dict[tuple[str, str], int]:
    return {
        (row.group.name, row.product.name[-1]): row.customers
        for row in GroupProductPopularity.objects.select_related("group", "product")
    }


# --- the refresh ----------------------------------------------------------------------------------


EXPECTED_PAIRS = {
    ("A", "B"): 3, ("A", "C"): 2, ("A", "D"): 1,
    ("B", "C"): 1, ("B", "D"): 1, ("B", "E"): 1,
}  # fmt: skip
EXPECTED_GROUPS = {
    ("Retail", "A"): 3, ("Retail", "B"): 3, ("Retail", "C"): 1, ("Retail", "D"): 1, ("Retail", "E"): 1,
    ("Wholesale", "A"): 1, ("Wholesale", "C"): 1,
}  # fmt: skip


def test_refresh_counts_co_purchases_both_ways_and_ignores_cancelled_orders(history):
    result = suggestions_refresh()
    expected = {**EXPECTED_PAIRS, **{(y, x): n for (x, y), n in EXPECTED_PAIRS.items()}}
    assert affinities() == expected
    assert popularity() == EXPECTED_GROUPS
    assert result == {"affinities": len(expected), "group_popularities": len(EXPECTED_GROUPS)}


def test_refresh_twice_gives_the_same_rows_and_follows_new_orders(history):
    suggestions_refresh()
    first = (affinities(), popularity())
    suggestions_refresh()
    assert (affinities(), popularity()) == first
    ann = history["customers"][0]
    order(ann, history["products"]["C"], history["products"]["D"])
    suggestions_refresh()
    assert affinities()[("C", "D")] == affinities()[("D", "C")] == 1
    assert popularity()[("Retail", "D")] == 2


def test_refresh_keeps_each_products_most_frequent_partners(history, monkeypatch):
    monkeypatch.setattr(suggestions_service, "MAX_PARTNERS", 1)
    suggestions_refresh()
    # A's partners: B 3, C 2, D 1; B's: A 3, C/D/E 1; C's: A 2, B 1 ... only the first is kept.
    assert affinities() == {("A", "B"): 3, ("B", "A"): 3, ("C", "A"): 2, ("D", "A"): 1, ("E", "B"): 1}


def test_the_nightly_task_runs_the_refresh(history):
    assert refresh_suggestions.name == "sales.refresh_suggestions"
    assert refresh_suggestions.delay().get() == suggestions_refresh()
    assert ProductAffinity.objects.filter(orders=3).count() == 2


# --- the ranking ----------------------------------------------------------------------------------


def test_suggestions_rank_co_purchases_first_and_explain_them(history):
    suggestions_refresh()
    p = history["products"]
    ann = history["customers"][0]
    suggestions = suggestions_for(customer=ann, product_ids=[p["A"].pk])
    names = [s.product.name for s in suggestions]
    # B: bought with A 3 times and by all 3 Retail customers; C: twice with A; D: once with A.
    assert names[:3] == ["Product B", "Product C", "Product D"]
    assert "Product A" not in names
    assert "Bought together 3 times" in suggestions[0].reasons
    assert "Popular in the group Retail: 3 customers" in suggestions[0].reasons
    assert "Bought together 2 times" in suggestions[1].reasons
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)
    assert suggestions[0].score == pytest.approx(100 * (0.45 + 0.25 + 0.10 * 1 / 1))


def test_similar_products_are_suggested_by_attribute_and_explained():
    coffee = ProductCategoryFactory(name="Coffee")
    picked = ProductFactory(name="Grinder", category=coffee, brand="Brewmax", colour="Black", size="M")
    same_all = ProductFactory(name="Espresso", category=coffee, brand="Brewmax", colour="Black", size="M")
    brand_colour = ProductFactory(name="Kettle", brand="Brewmax", colour="Black")
    category_size = ProductFactory(name="Scale", category=coffee, colour="Red", size="M")
    ProductFactory(name="Mower", brand="Other", colour="Black")  # only the colour: not similar
    customer = CustomerFactory()
    suggestions = suggestions_for(customer=customer, product_ids=[picked.pk])
    # Points out of 7: category 3, brand 2, colour 1, size 1.
    assert [s.product for s in suggestions] == [same_all, category_size, brand_colour]
    assert suggestions[0].reasons == ["Same category, brand, colour and size"]
    assert suggestions[2].reasons == ["Same brand and colour"]
    assert suggestions[1].reasons == ["Same category and size"]
    assert suggestions[0].score == pytest.approx(20.0)


def test_co_purchases_outweigh_group_popularity_and_history(history):
    suggestions_refresh()
    p = history["products"]
    dan = history["customers"][3]
    # Dan (Wholesale) picks E. B was bought with E once; C is popular in Wholesale; similar: none.
    ranked = suggestions_for(customer=dan, product_ids=[p["E"].pk])
    # B: 0.45 × 1; A and C: 0.25 × 1 + 0.10 × 1 each, tied and then taken by name.
    assert [(s.product.name, s.score) for s in ranked] == [
        ("Product B", 45.0),
        ("Product A", 35.0),
        ("Product C", 35.0),
    ]
    assert ranked[1].reasons == [
        "Popular in the group Wholesale: 1 customer",
        "This customer bought it in 1 earlier order",
    ]


def test_suggestions_exclude_the_order_the_excluded_and_inactive_products(history):
    suggestions_refresh()
    p = history["products"]
    p["C"].is_active = False
    p["C"].save()
    ann = history["customers"][0]
    suggestions = suggestions_for(customer=ann, product_ids=[p["A"].pk, p["B"].pk], exclude_product_ids=[p["D"].pk])
    assert [s.product.name for s in suggestions] == ["Product E"]
    assert suggestions_for(customer=ann, product_ids=[p["A"].pk], limit=1)[0].product == p["B"]


def test_no_history_and_no_picks_gives_nothing():
    ProductFactory()
    assert suggestions_for(customer=CustomerFactory(), product_ids=[]) == []


def test_suggestions_for_take_a_constant_number_of_queries(history, django_assert_max_num_queries):
    suggestions_refresh()
    p = history["products"]
    ann = history["customers"][0]
    with django_assert_max_num_queries(7):
        small = suggestions_for(customer=ann, product_ids=[p["A"].pk, p["B"].pk])
    assert small
    many = [ProductFactory(brand="Brewmax", colour="Black", list_price=Decimal(5)) for _index in range(30)]
    for index, product in enumerate(many):
        order(ann, p["A"], product, many[index - 1])
    suggestions_refresh()
    with django_assert_max_num_queries(7):
        large = suggestions_for(customer=ann, product_ids=[p["A"].pk, p["B"].pk, many[0].pk])
    assert len(large) == 8


# --- the endpoint ---------------------------------------------------------------------------------


def test_endpoint_renders_the_partial_with_data_attributes(history, rep, client_for):
    suggestions_refresh()
    p = history["products"]
    ann = history["customers"][0]
    ann.owner = rep
    ann.save()
    url = reverse("sales:suggestions")
    response = client_for(rep).get(url, {"customer": ann.pk, "product": [p["A"].pk, p["C"].pk]})
    assert response.status_code == 200
    assert response.templates[0].name == "sales/suggestions/_list.html"
    html = response.content.decode()
    assert f'data-product-id="{p["B"].pk}"' in html
    assert 'data-product-name="Product B"' in html
    assert 'data-price="1000000.00"' in html
    assert "Bought together 4 times" in html  # summed over the picks: 3 times with A, once with C
    assert f'data-product-id="{p["A"].pk}"' not in html and f'data-product-id="{p["C"].pk}"' not in html


def test_endpoint_shows_an_empty_state(rep, client_for):
    customer = CustomerFactory(owner=rep)
    response = client_for(rep).get(reverse("sales:suggestions"), {"customer": customer.pk})
    assert response.status_code == 200
    assert b"No suggestions yet" in response.content


def test_endpoint_404_for_a_customer_the_rep_cannot_see(rep, rep2, outsider_rep, manager, client_for):
    theirs = CustomerFactory(owner=rep2)
    outsider = CustomerFactory(owner=outsider_rep)
    url = reverse("sales:suggestions")
    assert client_for(rep).get(url, {"customer": theirs.pk}).status_code == 404
    assert client_for(rep).get(url, {"customer": outsider.pk}).status_code == 404
    assert client_for(manager).get(url, {"customer": theirs.pk}).status_code == 200
    assert client_for(manager).get(url, {"customer": outsider.pk}).status_code == 404
    assert client_for(rep).get(url, {"customer": "x"}).status_code == 400


@pytest.mark.parametrize("name", ["marketer", "agent", "contractor"])
def test_endpoint_denied_to_other_roles(name, personas, client_for):
    customer = CustomerFactory()
    response = client_for(personas[name]).get(reverse("sales:suggestions"), {"customer": customer.pk})
    assert response.status_code == 403


def test_endpoint_queries_do_not_grow_with_products_or_orders(
    history, admin, client_for, django_assert_max_num_queries
):
    suggestions_refresh()
    p = history["products"]
    ann = history["customers"][0]
    client = client_for(admin)
    url = reverse("sales:suggestions")
    params = {"customer": ann.pk, "product": [p["A"].pk]}
    client.get(url, params)
    with django_assert_max_num_queries(12) as few:
        client.get(url, params)
    for index in range(20):
        extra = ProductFactory(brand="Brewmax")
        order(history["customers"][index % 4], p["A"], extra, p["B"])
    suggestions_refresh()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {"customer": ann.pk, "product": [p["A"].pk, p["B"].pk, p["C"].pk]})
    assert response.content.count(b"data-product-id=") == 8
