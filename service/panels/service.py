"""360° panel: the customer's open tickets (as far as the user may see them), complaints of the
last twelve months and the last satisfaction score, with a link to open a ticket."""

from django.utils.translation import gettext_lazy as _

from customers.panels import Panel, register_panel
from service.selectors.panel import customer_service_panel


def service_panel_context(request, customer) -> dict:
    return customer_service_panel(user=request.user, customer=customer)


register_panel(
    Panel(
        key="service",
        title=_("Service"),
        template="service/panels/service.html",
        context=service_panel_context,
        area="service",
        order=40,
        column="side",
    )
)
