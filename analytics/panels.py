"""360° panel: the customer's lifetime value taken apart (every cost and revenue, as it happened
and discounted), the predicted value and the model's figures, the RFM segment, Pareto class and
churn risk, and what to offer them next (sales' own suggestions). Registered when the app is
ready; shown to users of the analytics area, for the customers whose figures they may see."""

from django.utils.translation import gettext_lazy as _

from analytics.selectors.reports.rfm import segment_label
from analytics.selectors.reports.value import customer_value_panel
from customers.panels import Panel, register_panel


def value_panel_context(request, customer) -> dict:
    context = customer_value_panel(user=request.user, customer=customer)
    stats = context.get("stats")
    context["segment_label"] = segment_label(stats.rfm_segment) if stats else ""
    return context


register_panel(
    Panel(
        key="lifetime-value",
        title=_("Lifetime value"),
        template="analytics/panels/value.html",
        context=value_panel_context,
        area="analytics",
        order=25,
        column="main",
    )
)
