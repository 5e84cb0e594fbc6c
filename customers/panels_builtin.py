"""The customers app's own panel on the 360° page: the figures analytics writes to CustomerStats,
for those who may not open the analytics area (service agents, say); analytics users get its
fuller "Lifetime value" panel instead."""

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _

from customers.panels import Panel, register_panel


def figures_context(request, customer) -> dict:
    # customer_get() loads the stats row with the customer: no query here.
    try:
        stats = customer.stats
    except ObjectDoesNotExist:
        stats = None
    return {"stats": stats}


register_panel(
    Panel(
        key="customer-figures",
        title=_("Value and risk"),
        template="customers/panels/figures.html",
        context=figures_context,
        area="customers",
        unless_area="analytics",
        order=90,
    )
)
