"""Writes of the product catalogue: categories (a tree kept as materialised paths) and products.

Every product write keeps ``search_text`` (SKU, name and brand, normalised) in step, so the
catalogue's search box matches one column whichever keyboard typed the query.
"""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from crm_site.text import normalize_text, search_key
from crm_site.tree import tree_node_save
from sales.models import Product, ProductCategory

# Text fields cleaned with normalize_text before saving (Persian letters and digits, single spaces).
PRODUCT_TEXT_FIELDS = ("sku", "name", "brand", "colour", "size")
# What product_create / product_update accept besides the product itself.
PRODUCT_FIELDS = (
    "sku",
    "name",
    "category",
    "brand",
    "colour",
    "size",
    "attributes",
    "description",
    "list_price",
    "unit_cost",
    "tax_rate",
    "is_active",
)


def product_search_text(*, sku: str, name: str, brand: str) -> str:
    """The one column the catalogue search matches."""
    return " ".join(part for part in (search_key(sku), search_key(name), search_key(brand)) if part)


def product_prepare(product: Product) -> Product:
    """Normalise a product's text and derived columns (shared by the form, the import and the admin)."""
    for name in PRODUCT_TEXT_FIELDS:
        setattr(product, name, normalize_text(getattr(product, name) or ""))
    product.attributes = {
        normalize_text(key): normalize_text(str(value)) for key, value in (product.attributes or {}).items()
    }
    product.search_text = product_search_text(sku=product.sku, name=product.name, brand=product.brand)
    return product


@transaction.atomic
def product_save(*, product: Product) -> Product:
    """Validate and save a new or changed product (the admin saves through here too)."""
    product_prepare(product)
    product.full_clean()
    product.save()
    return product


def product_create(
    *,
    sku: str,
    name: str,
    list_price: Decimal,
    category: ProductCategory | None = None,
    brand: str = "",
    colour: str = "",
    size: str = "",
    attributes: dict | None = None,
    description: str = "",
    unit_cost: Decimal = Decimal(0),
    tax_rate: Decimal = Decimal(0),
    is_active: bool = True,
) -> Product:
    product = Product(
        sku=sku,
        name=name,
        category=category,
        brand=brand,
        colour=colour,
        size=size,
        attributes=attributes or {},
        description=description,
        list_price=list_price,
        unit_cost=unit_cost,
        tax_rate=tax_rate,
        is_active=is_active,
    )
    return product_save(product=product)


def product_update(*, product: Product, **fields) -> Product:
    """Change the given fields (any of PRODUCT_FIELDS) and save."""
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"product_update() got unexpected fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(product, name, value)
    return product_save(product=product)


# --- categories --------------------------------------------------------------------------------


def category_save(*, category: ProductCategory) -> ProductCategory:
    """Create, rename or move a category, keeping the materialised paths of it and its
    sub-categories right."""
    return tree_node_save(category, cycle_message=_("A category cannot be moved under one of its own sub-categories."))


def category_create(*, name: str, parent: ProductCategory | None = None) -> ProductCategory:
    return category_save(category=ProductCategory(name=name, parent=parent))


def category_update(*, category: ProductCategory, name: str, parent: ProductCategory | None) -> ProductCategory:
    """Rename and/or move a category under another parent (None: to the top level)."""
    category.name = name
    category.parent = parent
    return category_save(category=category)
