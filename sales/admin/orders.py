"""Admin: quotes, orders, invoices and payments, with their lines inline and totals read-only.

Totals are never typed: after lines are edited here, the document is re-priced through
sales/totals.py (``document_totals_refresh``)."""

from django.contrib import admin

from sales.models import Invoice, Order, OrderLine, Payment, Quote, QuoteLine
from sales.services.documents import document_totals_refresh

TOTALS = ("subtotal", "discount_total", "tax_total", "total")
LINE_AMOUNTS = ("net_amount", "tax_amount", "line_total")


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    raw_id_fields = ("product",)
    fields = ("product", "description", "quantity", "unit_price", "discount_percent", "tax_rate", *LINE_AMOUNTS)
    readonly_fields = LINE_AMOUNTS


class OrderLineInline(QuoteLineInline):
    model = OrderLine
    fields = (*QuoteLineInline.fields, "unit_cost")


class RepricedAdmin(admin.ModelAdmin):
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        document_totals_refresh(document=form.instance)


@admin.register(Quote)
class QuoteAdmin(RepricedAdmin):
    list_display = ("number", "customer", "status", "issued_on", "total", "owner")
    list_filter = ("status", "issued_on")
    search_fields = ("number", "customer__name")
    list_select_related = ("customer", "owner")
    raw_id_fields = ("customer", "opportunity", "owner")
    readonly_fields = TOTALS
    inlines = [QuoteLineInline]
    date_hierarchy = "issued_on"


class InvoiceInline(admin.TabularInline):
    model = Invoice
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("number", "status", "issued_on", "due_on", "total", "amount_paid")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(RepricedAdmin):
    list_display = ("number", "customer", "status", "ordered_at", "total", "paid_at", "owner")
    list_filter = ("status", "ordered_at")
    search_fields = ("number", "customer__name")
    list_select_related = ("customer", "owner")
    raw_id_fields = ("customer", "quote", "opportunity", "owner")
    readonly_fields = (
        *TOTALS,
        "cost_total",
        "thank_you_due_at",
        "thank_you_sent_at",
        "survey_due_at",
        "survey_sent_at",
    )
    inlines = [OrderLineInline, InvoiceInline]
    date_hierarchy = "ordered_at"


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = ("paid_at", "amount", "method", "reference", "received_by")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        # Payments go through payment_record, which locks the invoice and refuses overpayment.
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "status", "issued_on", "due_on", "total", "amount_paid")
    list_filter = ("status", "issued_on", "due_on")
    search_fields = ("number", "customer__name", "order__number")
    list_select_related = ("customer",)
    raw_id_fields = ("order", "customer", "owner")
    readonly_fields = (*TOTALS, "amount_paid", "paid_at")
    inlines = [PaymentInline]
    date_hierarchy = "issued_on"


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("invoice", "customer", "amount", "method", "paid_at", "received_by")
    list_filter = ("method", "paid_at")
    search_fields = ("invoice__number", "customer__name", "reference")
    list_select_related = ("invoice", "customer", "received_by")
    raw_id_fields = ("invoice", "customer", "received_by")
    readonly_fields = ("invoice", "customer", "amount", "paid_at")

    def has_add_permission(self, request):
        return False
