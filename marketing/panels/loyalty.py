"""360° panel: the customer's loyalty points (balance, tier, points expiring soon, last entries).

Sales reps see it too (area "customers"), since they take payments in points; the link to the
member page shows only to users of the marketing area. When the programme is off the panel
says so in one line."""

from django.utils.translation import gettext_lazy as _

from crm_site.access import can_use_area
from customers.panels import Panel, register_panel
from marketing.selectors.loyalty import can_redeem, customer_loyalty_panel


def loyalty_panel_context(request, customer) -> dict:
    context = customer_loyalty_panel(customer=customer)
    context["can_open_member"] = can_use_area(request.user, "marketing")
    context["can_redeem"] = can_redeem(request.user)
    return context


register_panel(
    Panel(
        key="loyalty",
        title=_("Loyalty"),
        template="marketing/panels/loyalty.html",
        context=loyalty_panel_context,
        area="customers",
        order=45,
        column="side",
    )
)
