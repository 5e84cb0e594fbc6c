"""360° panel: the customer's open activities (as far as the user may see them), next due first."""

from django.utils.translation import gettext_lazy as _

from customers.panels import Panel, register_panel
from sales.selectors.activities import customer_activities_panel


def activities_panel_context(request, customer) -> dict:
    return customer_activities_panel(user=request.user, customer=customer)


register_panel(
    Panel(
        key="activities",
        title=_("Open activities"),
        template="sales/panels/activities.html",
        context=activities_panel_context,
        area="sales",
        order=25,
        column="side",
    )
)
