"""The product catalogue: list with filters, detail, create and edit, categories (paths kept right
when created or moved), access per role, constant queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from sales.models import Order, Product, ProductAffinity, ProductCategory
from sales.services.catalog import category_create, category_update, product_create, product_update
from tests.sales.factories import OrderFactory, OrderLineFactory, ProductCategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

VIEWERS = ("admin", "manager", "rep")
OUTSIDERS = ("marketer", "agent", "contractor")


def product_data(**overrides) -> dict:
    data = {
        "sku": "ESP-100",
        "name": "Espresso machine",
        "category": "",
        "brand": "Brewmax",
        "colour": "Black",
        "size": "M",
        "list_price": "25000000",
        "unit_cost": "17500000",
        "tax_rate": "10",
        "is_active": "on",
        "description": "",
        "attributes_text": "Warranty: 2 years\nMaterial: steel",
    }
    data.update(overrides)
    return data


@pytest.fixture
def tree(db):
    appliances = category_create(name="Appliances")
    kitchen = category_create(name="Kitchen", parent=appliances)
    coffee = category_create(name="Coffee", parent=kitchen)
    garden = category_create(name="Garden")
    return {"appliances": appliances, "kitchen": kitchen, "coffee": coffee, "garden": garden}


# --- the list -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VIEWERS)
def test_sales_roles_see_the_whole_catalogue(name, personas, client_for):
    ProductFactory(name="Kettle")
    response = client_for(personas[name]).get(reverse("sales:product_list"))
    assert response.status_code == 200
    assert [p.name for p in response.context["page_obj"]] == ["Kettle"]
    # Only configuration roles are offered the create and import buttons.
    assert response.context["can_manage"] is (name != "rep")


@pytest.mark.parametrize("name", OUTSIDERS)
def test_other_roles_cannot_open_the_catalogue(name, personas, client_for):
    assert client_for(personas[name]).get(reverse("sales:product_list")).status_code == 403


def test_search_matches_sku_name_and_brand_in_any_case(rep, client_for):
    ProductFactory(sku="KT-1", name="Steel kettle", brand="Pars")
    ProductFactory(sku="TS-9", name="Toaster", brand="Delta")
    product_create(sku="ab-77", name="Juicer", brand="Pars Khazar", list_price=Decimal(10))
    client = client_for(rep)

    def names(query):
        response = client.get(reverse("sales:product_list"), {"q": query})
        return sorted(p.name for p in response.context["page_obj"])

    assert names("AB-77") == ["Juicer"]
    assert names("khazar") == ["Juicer"]
    assert names("juicer pars") == ["Juicer"]


def test_search_text_follows_edits():
    product = product_create(sku="OLD-1", name="Kettle", list_price=Decimal(10))
    product_update(product=product, name="Samovar", brand="Persia")
    product.refresh_from_db()
    assert "samovar" in product.search_text and "persia" in product.search_text
    assert "kettle" not in product.search_text


def test_filters_by_category_subtree_brand_and_active(rep, client_for, tree):
    ProductFactory(name="Grinder", category=tree["coffee"], brand="Brewmax")
    ProductFactory(name="Mixer", category=tree["kitchen"], brand="Delta")
    ProductFactory(name="Mower", category=tree["garden"], brand="Brewmax")
    ProductFactory(name="Old mixer", category=tree["kitchen"], is_active=False)
    client = client_for(rep)

    def names(**params):
        response = client.get(reverse("sales:product_list"), params)
        assert response.status_code == 200
        return sorted(p.name for p in response.context["page_obj"])

    assert names(category=tree["appliances"].pk) == ["Grinder", "Mixer", "Old mixer"]
    assert names(category=tree["coffee"].pk) == ["Grinder"]
    assert names(brand="Brewmax") == ["Grinder", "Mower"]
    assert names(category=tree["kitchen"].pk, active="false") == ["Old mixer"]
    assert names(active="true", brand="Delta") == ["Mixer"]


def test_htmx_request_gets_only_the_results(rep, client_for):
    ProductFactory(name="Kettle")
    response = client_for(rep).get(
        reverse("sales:product_list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="product-results"
    )
    assert response.templates[0].name == "sales/products/_results.html"
    assert b"Kettle" in response.content


def test_list_queries_do_not_grow_with_rows(rep, client_for, django_assert_max_num_queries, tree):
    client = client_for(rep)
    ProductFactory(category=tree["coffee"], brand="A")
    client.get(reverse("sales:product_list"))  # warm the session and the role cache
    with django_assert_max_num_queries(9) as one:
        client.get(reverse("sales:product_list"), {"category": tree["appliances"].pk})
    for index in range(30):
        ProductFactory(category=tree["coffee"] if index % 2 else tree["kitchen"], brand=f"B{index % 5}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("sales:product_list"), {"category": tree["appliances"].pk})
    assert len(response.context["page_obj"]) == 25


def test_empty_catalogue_shows_the_empty_state(manager, client_for):
    response = client_for(manager).get(reverse("sales:product_list"))
    assert b"No products yet" in response.content


# --- the detail -----------------------------------------------------------------------------------


def test_detail_shows_margin_orders_and_co_purchases(rep, client_for):
    product = ProductFactory(list_price=Decimal(1000), unit_cost=Decimal(600), attributes={"Warranty": "2 years"})
    partner = ProductFactory(name="Filter pack")
    for status in (Order.Status.CONFIRMED, Order.Status.DELIVERED, Order.Status.CANCELLED):
        order = OrderFactory(status=status)
        OrderLineFactory(order=order, product=product)
        OrderLineFactory(order=order, product=product)  # twice in one order still counts one order
    ProductAffinity.objects.create(product=product, other=partner, orders=37)
    response = client_for(rep).get(reverse("sales:product_detail", args=[product.pk]))
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.margin == Decimal(400)
    assert figures.margin_percent == Decimal("40.00")
    assert figures.order_count == 2  # the cancelled order is not counted
    assert [a.other for a in figures.co_purchases] == [partner]
    assert b"Filter pack" in response.content and b"Warranty" in response.content


@pytest.mark.parametrize("name", OUTSIDERS)
def test_detail_denied_to_other_roles(name, personas, client_for):
    product = ProductFactory()
    assert client_for(personas[name]).get(reverse("sales:product_detail", args=[product.pk])).status_code == 403


def test_detail_of_a_missing_product_is_404(rep, client_for):
    assert client_for(rep).get(reverse("sales:product_detail", args=[999999])).status_code == 404


def test_detail_queries_do_not_grow_with_history(rep, client_for, django_assert_max_num_queries):
    product = ProductFactory()
    client = client_for(rep)
    url = reverse("sales:product_detail", args=[product.pk])
    client.get(url)
    with django_assert_max_num_queries(8) as few:
        client.get(url)
    for _index in range(10):
        order = OrderFactory()
        OrderLineFactory(order=order, product=product)
        ProductAffinity.objects.create(product=product, other=ProductFactory(), orders=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["figures"].co_purchases) == 10


# --- create and edit ------------------------------------------------------------------------------


def test_manager_creates_a_product_with_free_attributes(manager, client_for, tree):
    assert client_for(manager).get(reverse("sales:product_create")).status_code == 200
    response = client_for(manager).post(
        reverse("sales:product_create"), product_data(category=tree["coffee"].pk, name="  Espresso   machine ")
    )
    product = Product.objects.get(sku="ESP-100")
    assert response.status_code == 302 and response.url == reverse("sales:product_detail", args=[product.pk])
    assert product.name == "Espresso machine"
    assert product.attributes == {"Warranty": "2 years", "Material": "steel"}
    assert product.category == tree["coffee"]
    assert product.list_price == Decimal("25000000")
    assert "brewmax" in product.search_text


def test_admin_edits_a_product_and_sees_its_attributes_as_lines(admin, client_for):
    product = product_create(sku="K-1", name="Kettle", list_price=Decimal(10), attributes={"Volume": "1.7 l"})
    client = client_for(admin)
    page = client.get(reverse("sales:product_edit", args=[product.pk]))
    assert page.context["form"]["attributes_text"].value() == "Volume: 1.7 l"
    response = client.post(
        reverse("sales:product_edit", args=[product.pk]),
        product_data(sku="K-1", name="Kettle", list_price="12", attributes_text="Volume: 2 l", is_active=""),
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.list_price, product.attributes, product.is_active) == (Decimal(12), {"Volume": "2 l"}, False)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"attributes_text": "no separator here"}, "attributes_text"),
        ({"attributes_text": "Colour: red\nColour: blue"}, "attributes_text"),
        ({"list_price": "abc"}, "list_price"),
        ({"sku": ""}, "sku"),
        ({"sku": "TAKEN"}, "sku"),
    ],
)
def test_bad_product_input_is_shown_and_nothing_written(manager, client_for, overrides, field):
    ProductFactory(sku="TAKEN", name="Existing")
    response = client_for(manager).post(reverse("sales:product_create"), product_data(**overrides))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert Product.objects.count() == 1


@pytest.mark.parametrize("name", ["rep", "marketer", "agent", "contractor"])
def test_only_configuration_roles_create_or_edit(name, personas, client_for):
    product = ProductFactory(name="Kettle")
    client = client_for(personas[name])
    assert client.get(reverse("sales:product_create")).status_code == 403
    assert client.post(reverse("sales:product_create"), product_data()).status_code == 403
    assert client.post(reverse("sales:product_edit", args=[product.pk]), product_data()).status_code == 403
    product.refresh_from_db()
    assert product.name == "Kettle" and Product.objects.count() == 1


# --- categories -----------------------------------------------------------------------------------


def test_category_paths_are_kept_right_on_create_and_move(tree):
    assert tree["coffee"].path == f"{tree['appliances'].pk}/{tree['kitchen'].pk}/{tree['coffee'].pk}/"
    assert tree["coffee"].depth == 2
    category_update(category=tree["kitchen"], name="Kitchenware", parent=tree["garden"])
    coffee = ProductCategory.objects.get(pk=tree["coffee"].pk)
    assert coffee.path == f"{tree['garden'].pk}/{tree['kitchen'].pk}/{tree['coffee'].pk}/"
    assert coffee.depth == 2
    category_update(category=ProductCategory.objects.get(pk=tree["kitchen"].pk), name="Kitchenware", parent=None)
    coffee.refresh_from_db()
    assert coffee.path == f"{tree['kitchen'].pk}/{tree['coffee'].pk}/" and coffee.depth == 1


def test_category_page_lists_the_tree_for_reps_without_the_form(rep, client_for, tree):
    response = client_for(rep).get(reverse("sales:category_list"))
    assert response.status_code == 200
    assert [c.name for c in response.context["categories"]][:3] == ["Appliances", "Kitchen", "Coffee"]
    assert response.context["form"] is None
    assert client_for(rep).post(reverse("sales:category_list"), {"name": "Toys"}).status_code == 403
    assert not ProductCategory.objects.filter(name="Toys").exists()


@pytest.mark.parametrize("name", OUTSIDERS)
def test_category_page_denied_to_other_roles(name, personas, client_for):
    assert client_for(personas[name]).get(reverse("sales:category_list")).status_code == 403


def test_manager_adds_a_sub_category_and_renames_one(manager, client_for, tree):
    client = client_for(manager)
    response = client.post(reverse("sales:category_list"), {"name": "Tea", "parent": tree["kitchen"].pk})
    assert response.status_code == 302
    tea = ProductCategory.objects.get(name="Tea")
    page = client.get(reverse("sales:category_edit", args=[tea.pk]))
    assert page.status_code == 200 and page.context["form"]["name"].value() == "Tea"
    assert tea.path == f"{tree['kitchen'].path}{tea.pk}/" and tea.depth == 2
    response = client.post(
        reverse("sales:category_edit", args=[tea.pk]), {"name": "Tea & infusions", "parent": tree["appliances"].pk}
    )
    assert response.status_code == 302
    tea.refresh_from_db()
    assert tea.name == "Tea & infusions" and tea.path == f"{tree['appliances'].path}{tea.pk}/"


def test_a_category_cannot_move_under_itself_or_duplicate_a_name(manager, client_for, tree):
    client = client_for(manager)
    response = client.post(
        reverse("sales:category_edit", args=[tree["appliances"].pk]),
        {"name": "Appliances", "parent": tree["coffee"].pk},
    )
    assert response.status_code == 400 and response.context["form"].errors["parent"]
    response = client.post(reverse("sales:category_list"), {"name": "Kitchen", "parent": tree["appliances"].pk})
    assert response.status_code == 400
    assert ProductCategory.objects.filter(name="Kitchen").count() == 1
    tree["coffee"].refresh_from_db()
    assert tree["coffee"].path.startswith(f"{tree['appliances'].pk}/")


def test_rep_cannot_edit_a_category(rep, client_for, tree):
    url = reverse("sales:category_edit", args=[tree["kitchen"].pk])
    assert client_for(rep).post(url, {"name": "Renamed"}).status_code == 403
    tree["kitchen"].refresh_from_db()
    assert tree["kitchen"].name == "Kitchen"


def test_category_page_queries_do_not_grow(manager, client_for, django_assert_max_num_queries):
    client = client_for(manager)
    root = ProductCategoryFactory(name="Root")
    client.get(reverse("sales:category_list"))
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("sales:category_list"))
    for index in range(15):
        ProductCategoryFactory(name=f"Child {index}", parent=root)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("sales:category_list"))


# --- the Django admin -----------------------------------------------------------------------------


def test_admin_lists_and_saves_through_the_services(admin_client, tree):
    ProductFactory(name="Kettle", category=tree["kitchen"])
    for model in ("product", "productcategory", "productaffinity", "groupproductpopularity"):
        assert admin_client.get(reverse(f"admin:sales_{model}_changelist"), {"q": "kettle"}).status_code == 200
    response = admin_client.post(
        reverse("admin:sales_productcategory_change", args=[tree["coffee"].pk]),
        {"name": "Coffee", "parent": tree["garden"].pk},
    )
    assert response.status_code == 302
    tree["coffee"].refresh_from_db()
    assert tree["coffee"].path == f"{tree['garden'].pk}/{tree['coffee'].pk}/"
    response = admin_client.post(
        reverse("admin:sales_product_add"),
        {"sku": "ADM-1", "name": "Toaster", "brand": "Delta", "list_price": "5", "unit_cost": "0",
         "tax_rate": "0", "is_active": "on", "attributes": "{}"},
    )  # fmt: skip
    assert response.status_code == 302
    assert "delta" in Product.objects.get(sku="ADM-1").search_text
