"""360° panel: the customer's balance, overdue invoices, last orders and revenue paid (as far
as the user may see them)."""

from django.utils.translation import gettext_lazy as _

from customers.panels import Panel, register_panel
from sales.selectors.orders import customer_orders_summary


def orders_panel_context(request, customer) -> dict:
    return customer_orders_summary(user=request.user, customer=customer)


register_panel(
    Panel(
        key="orders",
        title=_("Orders and balance"),
        template="sales/panels/orders.html",
        context=orders_panel_context,
        area="sales",
        order=20,
        column="main",
    )
)
