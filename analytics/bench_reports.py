"""The report pages ``make bench`` measures (merged into analytics/bench.py by ``PAGES``).

The lifetime-value and Pareto pages as the admin (the whole base: snapshots and the indexed
ranking over every customer) and as the manager (the team's customers: the Pareto figures
computed live), the RFM grid and a segment's customers, the churn page with its call list, the
forecast and the basket pairs, and the 360° page of the most valuable customer with its
lifetime-value panel and the panel's cross-sell suggestions (loaded after the page). The pages
read what the nightly computation wrote (seed_demo runs it).
"""

from django.urls import reverse

from analytics.models import CustomerValue
from crm_site.bench import BenchContext, BenchPage


def _top_customer() -> int:
    """The customer with the highest historic lifetime value (0 in an empty database)."""
    return CustomerValue.objects.order_by("-clv_historic").values_list("customer_id", flat=True).first() or 0


def _top_customer_url(ctx: BenchContext) -> str:
    return reverse("customers:detail", args=[_top_customer()])


def _top_customer_suggestions_url(ctx: BenchContext) -> str:
    return reverse("analytics:value_suggestions", args=[_top_customer()])


REPORT_PAGES = [
    BenchPage("analytics: lifetime value (admin)", "/analytics/value/", "admin"),
    BenchPage("analytics: lifetime value, predicted (manager)", "/analytics/value/?rank=predicted", "manager"),
    BenchPage("analytics: Pareto (admin)", "/analytics/pareto/", "admin"),
    BenchPage(
        "analytics: Pareto, revenue, whole history (admin)", "/analytics/pareto/?measure=revenue&period=all", "admin"
    ),
    BenchPage("analytics: Pareto, live over the team (manager)", "/analytics/pareto/", "manager"),
    BenchPage("analytics: RFM (admin)", "/analytics/rfm/", "admin"),
    BenchPage("analytics: RFM segment 'at risk' (manager)", "/analytics/rfm/at_risk/", "manager"),
    BenchPage("analytics: churn and who to call (manager)", "/analytics/churn/", "manager"),
    BenchPage("analytics: forecast (admin)", "/analytics/forecast/", "admin"),
    BenchPage("analytics: basket pairs (admin)", "/analytics/basket/", "admin"),
    BenchPage("analytics: 360° page with the lifetime-value panel (admin)", _top_customer_url, "admin"),
    BenchPage("analytics: the panel's cross-sell suggestions (admin)", _top_customer_suggestions_url, "admin"),
]
