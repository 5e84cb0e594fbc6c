"""360° panel: the customer's open opportunities (as the user may see them) and what was won."""

from django.utils.translation import gettext_lazy as _

from customers.panels import Panel, register_panel
from sales.selectors.pipeline import customer_opportunities_panel


def opportunities_panel_context(request, customer) -> dict:
    return customer_opportunities_panel(user=request.user, customer=customer)


register_panel(
    Panel(
        key="opportunities",
        title=_("Opportunities"),
        template="sales/panels/opportunities.html",
        context=opportunities_panel_context,
        area="sales",
        order=30,
        column="side",
    )
)
