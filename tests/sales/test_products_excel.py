"""Excel export and import of the product catalogue: the filtered list as .xlsx (opened back with
openpyxl), the template, all-or-nothing imports with row-numbered errors, updates by SKU,
categories created from their paths, the row limit, and access per role."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from sales.models import Product, ProductCategory
from sales.services import catalog_import
from sales.services.catalog import category_create
from tests.sales.factories import ProductFactory

pytestmark = pytest.mark.django_db

HEADERS = ["SKU", "Name", "Category", "Brand", "Colour", "Size", "List price", "Unit cost", "Tax rate", "Active"]


def xlsx(rows, headers=HEADERS, name="products.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def read_xlsx(response) -> list[tuple]:
    content = b"".join(response.streaming_content)
    sheet = load_workbook(BytesIO(content), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


GOOD_ROWS = [
    ["ESP-100", "Espresso machine", "Appliances > Kitchen", "Brewmax", "Black", "M", 25000000, 17500000, 10, "yes"],
    ["KET-1", "Kettle", "Appliances > Kitchen > Kettles", "Pars", "White", "", "1,200,000", "", "", ""],
    ["MOW-7", "Lawn mower", "Garden", "", "", "", 9000000.5, 6000000, 9, "no"],
]


# --- export ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["admin", "manager", "rep"])
def test_export_writes_the_filtered_list(name, personas, client_for):
    kitchen = category_create(name="Kitchen", parent=category_create(name="Appliances"))
    ProductFactory(
        sku="A-1", name="Kettle", category=kitchen, brand="Pars", colour="White", size="L", tax_rate=Decimal(9)
    )
    ProductFactory(sku="B-2", name="Mower", brand="Delta", is_active=False)
    response = client_for(personas[name]).get(reverse("sales:product_export"), {"brand": "Pars"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="products-')
    rows = read_xlsx(response)
    assert rows[0] == tuple(HEADERS)
    assert rows[1:] == [("A-1", "Kettle", "Appliances > Kitchen", "Pars", "White", "L", 1000000, 600000, 9, True)]


@pytest.mark.parametrize("name", ["marketer", "agent", "contractor"])
def test_export_denied_to_other_roles(name, personas, client_for):
    assert client_for(personas[name]).get(reverse("sales:product_export")).status_code == 403


def test_export_queries_do_not_grow_with_rows(rep, client_for, django_assert_max_num_queries):
    client = client_for(rep)
    ProductFactory()
    read_xlsx(client.get(reverse("sales:product_export")))
    with django_assert_max_num_queries(10) as few:
        read_xlsx(client.get(reverse("sales:product_export")))
    for _index in range(40):
        ProductFactory(category=category_create(name=f"C{_index}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = read_xlsx(client.get(reverse("sales:product_export")))
    assert len(rows) == 42


def test_an_export_imports_back_unchanged(manager, client_for):
    kitchen = category_create(name="Kitchen", parent=category_create(name="Appliances"))
    ProductFactory(sku="A-1", name="Kettle", category=kitchen, brand="Pars", list_price=Decimal("1500.50"))
    client = client_for(manager)
    content = b"".join(client.get(reverse("sales:product_export")).streaming_content)
    response = client.post(reverse("sales:product_import"), {"file": SimpleUploadedFile("p.xlsx", content)})
    assert response.status_code == 302
    assert Product.objects.count() == 1 and ProductCategory.objects.count() == 2
    assert Product.objects.get().history.count() == 1  # nothing changed, so no new version


# --- import ---------------------------------------------------------------------------------------


def test_import_creates_products_and_missing_categories(manager, client_for):
    category_create(name="Appliances")
    response = client_for(manager).post(reverse("sales:product_import"), {"file": xlsx(GOOD_ROWS)})
    assert response.status_code == 302 and response.url == reverse("sales:product_list")
    espresso = Product.objects.select_related("category__parent").get(sku="ESP-100")
    assert (espresso.category.name, espresso.category.parent.name) == ("Kitchen", "Appliances")
    assert espresso.list_price == Decimal(25000000) and espresso.tax_rate == Decimal(10)
    assert "brewmax" in espresso.search_text
    kettle = Product.objects.select_related("category").get(sku="KET-1")
    assert kettle.list_price == Decimal(1200000) and kettle.unit_cost == 0 and kettle.is_active
    assert kettle.category.path.endswith(f"{espresso.category_id}/{kettle.category_id}/")
    assert kettle.category.depth == 2
    mower = Product.objects.get(sku="MOW-7")
    assert mower.list_price == Decimal("9000000.50") and not mower.is_active
    # Appliances existed; Kitchen, Kettles and Garden were created.
    assert ProductCategory.objects.count() == 4
    assert mower.history.count() == 1


def test_reimport_updates_by_sku_instead_of_duplicating(manager, client_for):
    client = client_for(manager)
    client.post(reverse("sales:product_import"), {"file": xlsx(GOOD_ROWS)})
    changed = [list(row) for row in GOOD_ROWS]
    changed[0][1] = "Espresso machine Pro"
    changed[0][6] = 27000000
    changed[1][2] = "garden"  # an existing category, in another case
    response = client.post(reverse("sales:product_import"), {"file": xlsx(changed)}, follow=True)
    assert Product.objects.count() == 3
    espresso = Product.objects.get(sku="ESP-100")
    assert espresso.name == "Espresso machine Pro" and espresso.list_price == Decimal(27000000)
    assert Product.objects.get(sku="KET-1").category.name == "Garden"
    assert ProductCategory.objects.filter(name__iexact="garden").count() == 1
    assert "2 updated, 1 unchanged" in response.content.decode()
    assert espresso.history.count() == 2


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (["", "No SKU", "", "", "", "", 10, "", "", ""], "SKU", "required"),
        (["X-1", "", "", "", "", "", 10, "", "", ""], "Name", "required"),
        (["X-1", "Item", "", "", "", "", "", "", "", ""], "List price", "required"),
        (["X-1", "Item", "", "", "", "", "ten", "", "", ""], "List price", "number"),
        (["X-1", "Item", "", "", "", "", -5, "", "", ""], "List price", "number"),
        (["X-1", "Item", "", "", "", "", 10, "", 150, ""], "Tax rate", "between 0 and 100"),
        (["X-1", "Item", "", "", "", "", 10, "", "", "maybe"], "Active", "yes"),
        (["X" * 41, "Item", "", "", "", "", 10, "", "", ""], "SKU", "at most 40"),
        (["ESP-100", "Duplicate", "", "", "", "", 10, "", "", ""], "SKU", "also on row 2"),
    ],
)
def test_a_bad_row_is_reported_with_its_number_and_nothing_is_written(manager, client_for, row, column, message):
    response = client_for(manager).post(reverse("sales:product_import"), {"file": xlsx([*GOOD_ROWS, row])})
    assert response.status_code == 400
    errors = response.context["row_errors"]
    assert [(e.row, e.column) for e in errors] == [(5, column)]
    assert message in errors[0].message
    assert Product.objects.count() == 0 and ProductCategory.objects.count() == 0
    assert b"Nothing was imported" in response.content


def test_missing_required_columns_are_named(manager, client_for):
    response = client_for(manager).post(
        reverse("sales:product_import"), {"file": xlsx([["A", "B"]], headers=["SKU", "Colour"])}
    )
    assert response.status_code == 400
    assert "Name, List price" in " ".join(response.context["form"].errors["file"])
    assert not Product.objects.exists()


def test_headers_are_matched_in_any_order_and_case(manager, client_for):
    file = xlsx([["Lamp", 12, 20]], headers=["name", "sku", "List Price"])
    assert client_for(manager).post(reverse("sales:product_import"), {"file": file}).status_code == 302
    assert Product.objects.get(sku="12").name == "Lamp"


def test_a_file_over_the_row_limit_is_refused(manager, client_for, monkeypatch):
    monkeypatch.setattr(catalog_import, "IMPORT_MAX_ROWS", 2)
    response = client_for(manager).post(reverse("sales:product_import"), {"file": xlsx(GOOD_ROWS)})
    assert response.status_code == 400
    assert "more than 2 products" in " ".join(response.context["form"].errors["file"])
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (SimpleUploadedFile("products.xlsx", b"not a workbook"), "could not be read"),
        (SimpleUploadedFile("products.csv", b"a,b"), ".xlsx"),
    ],
)
def test_unreadable_files_are_refused(manager, client_for, file, message):
    response = client_for(manager).post(reverse("sales:product_import"), {"file": file})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["file"])


@pytest.mark.parametrize("name", ["rep", "marketer", "agent", "contractor"])
def test_only_configuration_roles_import(name, personas, client_for):
    client = client_for(personas[name])
    assert client.get(reverse("sales:product_import")).status_code == 403
    assert client.post(reverse("sales:product_import"), {"file": xlsx(GOOD_ROWS)}).status_code == 403
    assert client.get(reverse("sales:product_import_template")).status_code == 403
    assert not Product.objects.exists()


def test_template_holds_the_headers_and_imports_as_is(manager, client_for):
    client = client_for(manager)
    assert client.get(reverse("sales:product_import")).status_code == 200
    response = client.get(reverse("sales:product_import_template"))
    rows = read_xlsx(response)
    assert rows[0] == tuple(HEADERS) and len(rows) == 2
    content = BytesIO()
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(content)
    upload = SimpleUploadedFile("template.xlsx", content.getvalue())
    assert client.post(reverse("sales:product_import"), {"file": upload}).status_code == 302
    assert Product.objects.get(sku="ESP-100").category.parent.name == "Appliances"
