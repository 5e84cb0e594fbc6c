"""Returns: goods a customer brought back from a confirmed or delivered order.

A return stores what it refunds (net of discounts, before tax), the tax on it, and what the goods
coming back cost the business, next to its lines, so that net revenue ("paid less discounts and
returns") and the margin after returns are sums of one column per customer and day. The amounts
are computed by ``sales/services/returns.py`` with ``sales/totals.py``'s rounding; nothing here
computes money.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from sales.models.catalog import MONEY
from sales.models.orders import QUANTITY, Order, OrderLine


class OrderReturn(models.Model):
    class Reason(models.TextChoices):
        DEFECTIVE = "defective", _("Defective")
        WRONG_ITEM = "wrong_item", _("Wrong item")
        CHANGED_MIND = "changed_mind", _("Changed their mind")
        OTHER = "other", _("Other")

    number = models.CharField(_("number"), max_length=20, unique=True)
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="returns")
    # Copied from the order, so per-customer figures (net revenue, CLV) sum returns without a join.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="order_returns"
    )
    returned_on = models.DateField(_("returned on"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    amount = models.DecimalField(_("amount refunded"), **MONEY, default=0, help_text=_("Net of discounts, before tax."))
    tax_amount = models.DecimalField(_("tax refunded"), **MONEY, default=0)
    cost_recovered = models.DecimalField(
        _("cost of goods back"), **MONEY, default=0, help_text=_("The returned goods at the order's unit costs.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-returned_on", "-id"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        indexes = [
            # Returns per customer and day (net revenue, CLV and RFM in analytics).
            models.Index(fields=["customer", "returned_on"], name="return_customer_idx"),
            # Returns by period (revenue reports).
            models.Index(fields=["returned_on"], name="return_day_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(tax_amount__gte=0) & Q(cost_recovered__gte=0),
                name="return_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        """Returns are shown on their order's page."""
        from django.urls import reverse

        return reverse("sales:order_detail", args=[self.order_id]) + "#returns"

    @property
    def total(self) -> Decimal:
        """What the customer gets back, tax included."""
        return self.amount + self.tax_amount


class OrderReturnLine(models.Model):
    """How much of one order line came back, and its share of the line's net, tax and cost."""

    order_return = models.ForeignKey(OrderReturn, on_delete=models.CASCADE, related_name="lines")
    # PROTECT: an order line with returns is history; it is never edited away (only drafts are).
    order_line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.PROTECT, related_name="return_lines"
    )
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    amount = models.DecimalField(_("amount refunded"), **MONEY, default=0)
    tax_amount = models.DecimalField(_("tax refunded"), **MONEY, default=0)
    cost = models.DecimalField(_("cost of goods back"), **MONEY, default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order_return_id}: {self.order_line_id} × {self.quantity}"
