"""Admin: returns with their lines, read-only but for the reason and the note.

Returns are recorded on the order page (``order_return_create``), which locks the order and
refuses returning more than was bought; amounts typed here would bypass both, so none are."""

from django.contrib import admin

from sales.models import OrderReturn, OrderReturnLine


class OrderReturnLineInline(admin.TabularInline):
    model = OrderReturnLine
    extra = 0
    can_delete = False
    fields = ("order_line", "quantity", "amount", "tax_amount", "cost")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line")  # shown as text on each row

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OrderReturn)
class OrderReturnAdmin(admin.ModelAdmin):
    list_display = ("number", "order", "customer", "returned_on", "reason", "amount", "tax_amount", "created_by")
    list_filter = ("reason", "returned_on")
    search_fields = ("number", "order__number", "customer__name")
    list_select_related = ("order", "customer", "created_by")
    readonly_fields = (
        "number",
        "order",
        "customer",
        "returned_on",
        "amount",
        "tax_amount",
        "cost_recovered",
        "created_by",
        "created_at",
    )
    fields = (*readonly_fields[:4], "reason", "note", *readonly_fields[4:])
    inlines = [OrderReturnLineInline]
    date_hierarchy = "returned_on"

    def has_add_permission(self, request):
        return False
