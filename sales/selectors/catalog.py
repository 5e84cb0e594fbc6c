"""Reads of the product catalogue, and its Excel export.

The catalogue is shared reference data: every sales user sees every product (no row scoping);
who may change it is decided by the page's area ("sales_setup").
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from crm_site.xlsx import XlsxWriter
from sales.models import Order, OrderLine, Product, ProductAffinity, ProductCategory
from sales.totals import HUNDRED, money

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CATEGORY_SEPARATOR = " > "
TOP_CO_PURCHASES = 10
EXPORT_BATCH = 2000


@dataclass(frozen=True)
class Column:
    key: str
    header: Promise  # translated when the file is written or read, in the user's language
    width: int


# The export's columns are the import's: an exported file can be edited and imported back.
COLUMNS = [
    Column("sku", gettext_lazy("SKU"), 14),
    Column("name", gettext_lazy("Name"), 32),
    Column("category", gettext_lazy("Category"), 30),
    Column("brand", gettext_lazy("Brand"), 16),
    Column("colour", gettext_lazy("Colour"), 12),
    Column("size", gettext_lazy("Size"), 10),
    Column("list_price", gettext_lazy("List price"), 14),
    Column("unit_cost", gettext_lazy("Unit cost"), 14),
    Column("tax_rate", gettext_lazy("Tax rate"), 9),
    Column("is_active", gettext_lazy("Active"), 8),
]


def product_list_queryset() -> QuerySet[Product]:
    """The catalogue list's rows with what each row shows (the category) in the same query."""
    return Product.objects.select_related("category")


def product_get(*, pk: int) -> Product:
    return get_object_or_404(Product.objects.select_related("category"), pk=pk)


@dataclass(frozen=True)
class ProductFigures:
    margin: Decimal  # list price less unit cost
    margin_percent: Decimal | None  # of the list price; None for a free product
    order_count: int  # orders (not cancelled) with at least one line of the product
    co_purchases: list[ProductAffinity]  # most often bought together first, ``other`` loaded


def product_figures(*, product: Product) -> ProductFigures:
    """What the product page shows besides the product: two queries whatever the history."""
    margin = product.list_price - product.unit_cost
    percent = money(margin * HUNDRED / product.list_price) if product.list_price else None
    order_count = (
        OrderLine.objects.filter(product=product)
        .exclude(order__status=Order.Status.CANCELLED)
        .values("order_id")
        .distinct()
        .count()
    )
    co_purchases = list(
        ProductAffinity.objects.filter(product=product)
        .select_related("other")
        .order_by("-orders", "other__name")[:TOP_CO_PURCHASES]
    )
    return ProductFigures(margin=margin, margin_percent=percent, order_count=order_count, co_purchases=co_purchases)


def category_get(*, pk: int) -> ProductCategory:
    return get_object_or_404(ProductCategory, pk=pk)


def category_tree() -> QuerySet[ProductCategory]:
    """Every category in tree order (by path), with the number of products filed directly in it."""
    return ProductCategory.objects.annotate(product_count=Count("products")).order_by("path")


def category_trails(categories: Iterable[ProductCategory] | None = None) -> dict[int, str]:
    """Each category's full name, "Appliances > Kitchen", by id (one query for the whole tree)."""
    if categories is None:
        categories = ProductCategory.objects.only("pk", "name", "path")
    nodes = list(categories)
    names = {category.pk: category.name for category in nodes}
    return {
        category.pk: CATEGORY_SEPARATOR.join(
            names.get(int(part), "?") for part in category.path.strip("/").split("/") if part.isdigit()
        )
        for category in nodes
    }


# --- Excel -------------------------------------------------------------------------------------


def _writer(target: IO[bytes], *, sheet_name: str) -> XlsxWriter:
    return XlsxWriter(
        target,
        sheet_name=sheet_name,
        headers=[str(column.header) for column in COLUMNS],
        widths=[column.width for column in COLUMNS],
    )


def products_export_write(*, queryset: QuerySet[Product], target: IO[bytes]) -> int:
    """Write the given (already filtered) products to ``target`` as .xlsx; returns the row count.

    Rows are read as plain values in batches, so memory stays flat however long the list is.
    """
    trails = category_trails()
    rows = queryset.order_by("name", "pk").values_list(
        "sku", "name", "category_id", "brand", "colour", "size", "list_price", "unit_cost", "tax_rate", "is_active"
    )
    count = 0
    with _writer(target, sheet_name=str(gettext_lazy("Products"))) as writer:
        for sku, name, category_id, brand, colour, size, price, cost, tax, active in rows.iterator(EXPORT_BATCH):
            writer.write_row([sku, name, trails.get(category_id, ""), brand, colour, size, price, cost, tax, active])
            count += 1
    return count


def products_template_write(*, target: IO[bytes]) -> None:
    """The import template: the headers and one example row to overwrite."""
    with _writer(target, sheet_name=str(gettext_lazy("Products"))) as writer:
        writer.write_row(
            [
                "ESP-100",
                str(gettext_lazy("Espresso machine")),
                CATEGORY_SEPARATOR.join([str(gettext_lazy("Appliances")), str(gettext_lazy("Kitchen"))]),
                "Brewmax",
                str(gettext_lazy("Black")),
                "M",
                Decimal("25000000"),
                Decimal("17500000"),
                Decimal("10"),
                True,
            ]
        )
