"""The product catalogue and the tables product suggestions read."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from customers.models import CustomerGroup

MONEY = {"max_digits": 14, "decimal_places": 2}
# Tax and discount rates in percent, e.g. 10.00 for Iran's VAT.
PERCENT = {"max_digits": 5, "decimal_places": 2}


class ProductCategory(models.Model):
    """A node of the category tree (Appliances > Kitchen > Coffee machines).

    ``path`` is the materialised path of ids ("3/17/42/"), as for customer groups: "this
    category and everything under it" is one indexed prefix match.
    """

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="product_category_unique_name_in_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="product_category_unique_root_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def indented_name(self) -> str:
        return "— " * self.depth + self.name


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
    )
    # The attributes suggestions compare ("similar by colour, size, category and brand").
    brand = models.CharField(_("brand"), max_length=80, blank=True)
    colour = models.CharField(_("colour"), max_length=40, blank=True)
    size = models.CharField(_("size"), max_length=40, blank=True)
    attributes = models.JSONField(_("other attributes"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    list_price = models.DecimalField(_("list price"), **MONEY)
    # What one unit costs the business: the margin in profit and lifetime-value figures.
    unit_cost = models.DecimalField(_("unit cost"), **MONEY, default=0)
    tax_rate = models.DecimalField(_("tax rate (%)"), **PERCENT, default=0)
    is_active = models.BooleanField(_("active"), default=True)
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["search_text", "updated_at"])

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            # The catalogue list and the product picker: active products by name.
            models.Index(fields=["is_active", "name"], name="product_active_name_idx"),
            # Similar-product suggestions: same category, brand, colour or size.
            models.Index(fields=["category", "is_active"], name="product_category_idx"),
            models.Index(fields=["brand"], name="product_brand_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class ProductAffinity(models.Model):
    """How many orders contained both ``product`` and ``other`` (stored both ways round).

    Refreshed by a job from the order lines (one SQL aggregate), so the order page reads the top
    co-purchases of a product with one indexed query however many order lines there are.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    orders = models.PositiveIntegerField(_("orders together"))

    class Meta:
        verbose_name = _("product co-purchase")
        verbose_name_plural = _("product co-purchases")
        constraints = [models.UniqueConstraint(fields=["product", "other"], name="product_affinity_unique_pair")]
        # "Bought together with A": A's partners, most frequent first.
        indexes = [models.Index(fields=["product", "-orders"], name="product_affinity_top_idx")]

    def __str__(self) -> str:
        return f"{self.product_id}+{self.other_id}: {self.orders}"


class GroupProductPopularity(models.Model):
    """How many customers of a customer group bought a product (refreshed with the affinities)."""

    group = models.ForeignKey(CustomerGroup, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    customers = models.PositiveIntegerField(_("customers who bought it"))

    class Meta:
        verbose_name = _("product popularity in a group")
        verbose_name_plural = _("product popularity in groups")
        constraints = [models.UniqueConstraint(fields=["group", "product"], name="group_popularity_unique_pair")]
        # "Customers of the same group buy": a group's products, most bought first.
        indexes = [models.Index(fields=["group", "-customers"], name="group_popularity_top_idx")]

    def __str__(self) -> str:
        return f"{self.group_id}/{self.product_id}: {self.customers}"
