"""Quotes, orders, invoices and payments.

Each document stores its totals (subtotal before discounts, discounts, tax, total) next to its
lines so lists, balances and analytics sum one column; ``sales/totals.py`` is the one place that
computes them, with Decimal, whenever lines change.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm_site.models import Team
from customers.models import Customer
from sales.models.catalog import MONEY, PERCENT, Product

QUANTITY = {"max_digits": 12, "decimal_places": 3}


class DocumentTotals(models.Model):
    """The totals every sales document carries."""

    subtotal = models.DecimalField(_("subtotal"), **MONEY, default=0, help_text=_("Before discounts and tax."))
    discount_total = models.DecimalField(_("discounts"), **MONEY, default=0)
    tax_total = models.DecimalField(_("tax"), **MONEY, default=0)
    total = models.DecimalField(_("total"), **MONEY, default=0)

    class Meta:
        abstract = True


class DocumentLine(models.Model):
    """A line of a quote or order: a product, how many, at what price, discount and tax."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=300, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY, default=1)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount_percent = models.DecimalField(_("discount (%)"), **PERCENT, default=0)
    tax_rate = models.DecimalField(_("tax rate (%)"), **PERCENT, default=0)
    # Computed by sales/totals.py: after the discount, its tax, and the two together.
    net_amount = models.DecimalField(_("net"), **MONEY, default=0)
    tax_amount = models.DecimalField(_("tax"), **MONEY, default=0)
    line_total = models.DecimalField(_("line total"), **MONEY, default=0)

    class Meta:
        abstract = True
        ordering = ["id"]


class Quote(DocumentTotals):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        ORDERED = "ordered", _("Became an order")

    number = models.CharField(_("number"), max_length=20, unique=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="quotes")
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    issued_on = models.DateField(_("date"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, help_text=_("Printed on the quote."))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        indexes = [
            models.Index(fields=["owner", "-issued_on"], name="quote_owner_idx"),
            models.Index(fields=["team", "-issued_on"], name="quote_team_idx"),
            models.Index(fields=["customer", "-issued_on"], name="quote_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:quote_detail", args=[self.pk])


class QuoteLine(DocumentLine):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(DocumentLine.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")

    def __str__(self) -> str:
        return f"{self.quote_id}: {self.product_id} × {self.quantity}"


class Order(DocumentTotals):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=20, unique=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders")
    quote = models.OneToOneField(
        Quote, verbose_name=_("from quote"), on_delete=models.SET_NULL, null=True, blank=True, related_name="order"
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    ordered_at = models.DateTimeField(_("ordered at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # Set when the order's invoices are paid in full (the thank-you SMS may wait for it).
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # What the goods cost the business (unit costs when ordered): the order's gross margin.
    cost_total = models.DecimalField(_("cost of goods"), **MONEY, default=0)
    notes = models.TextField(_("notes"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True)
    # After the sale: when the thank-you and survey messages are due, and when they were queued.
    # The job claims a row by setting *_sent_at in a conditional UPDATE: each is sent once.
    thank_you_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    thank_you_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    survey_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    survey_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-ordered_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            # The order list: newest first, scoped by owner or team.
            models.Index(fields=["-ordered_at", "-id"], name="order_recent_idx"),
            models.Index(fields=["owner", "-ordered_at"], name="order_owner_idx"),
            models.Index(fields=["team", "-ordered_at"], name="order_team_idx"),
            # A customer's orders (360° panel, recency/frequency/monetary, lifetime value).
            models.Index(fields=["customer", "-ordered_at"], name="order_customer_idx"),
            # What each customer spent (segments' "total spent"): read from the index alone, in
            # customer order, so the sum per customer streams without a sort or a hash.
            models.Index(
                fields=["customer", "total"],
                condition=Q(status__in=["confirmed", "delivered"]),
                name="order_spent_idx",
            ),
            # The after-sale job: messages due and not yet sent.
            models.Index(
                fields=["thank_you_due_at"], condition=Q(thank_you_sent_at__isnull=True), name="order_thanks_due_idx"
            ),
            models.Index(
                fields=["survey_due_at"], condition=Q(survey_sent_at__isnull=True), name="order_survey_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:order_detail", args=[self.pk])


class OrderLine(DocumentLine):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # The product's unit cost when ordered (later price changes leave past margins alone).
    unit_cost = models.DecimalField(_("unit cost"), **MONEY, default=0)

    class Meta(DocumentLine.Meta):
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        indexes = [
            # Co-purchase counts and "customers who bought X": the orders of a product.
            models.Index(fields=["product", "order"], name="order_line_product_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.product_id} × {self.quantity}"


class Invoice(DocumentTotals):
    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        PARTIALLY_PAID = "partial", _("Partially paid")
        PAID = "paid", _("Paid")
        VOID = "void", _("Void")

    number = models.CharField(_("number"), max_length=20, unique=True)
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="invoices")
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="invoices"
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ISSUED)
    issued_on = models.DateField(_("date"))
    due_on = models.DateField(_("due date"))
    amount_paid = models.DecimalField(_("paid"), **MONEY, default=0)
    paid_at = models.DateTimeField(_("paid in full at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, help_text=_("Printed on the invoice."))
    # Copied from the order, so invoices are scoped like orders without a join.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        indexes = [
            models.Index(fields=["owner", "-issued_on"], name="invoice_owner_idx"),
            models.Index(fields=["team", "-issued_on"], name="invoice_team_idx"),
            # The customer's balance and overdue invoices (360° panel).
            models.Index(fields=["customer", "status", "due_on"], name="invoice_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:invoice_detail", args=[self.pk])

    @property
    def balance(self):
        return self.total - self.amount_paid


class Payment(models.Model):
    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Card (POS)")
        TRANSFER = "transfer", _("Bank transfer")
        CHEQUE = "cheque", _("Cheque")
        ONLINE = "online", _("Online payment")
        # Loyalty points redeemed against the invoice (marketing's loyalty programme writes these).
        POINTS = "points", _("Loyalty points")

    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="payments")
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    paid_at = models.DateTimeField(_("paid at"))
    reference = models.CharField(_("reference"), max_length=100, blank=True, help_text=_("Cheque or transfer number."))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-paid_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [
            models.Index(fields=["invoice", "paid_at"], name="payment_invoice_idx"),
            # Revenue by period and per customer (analytics).
            models.Index(fields=["customer", "paid_at"], name="payment_customer_idx"),
            models.Index(fields=["paid_at"], name="payment_paid_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.amount}"
