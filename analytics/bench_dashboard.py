"""The dashboard pages ``make bench`` measures (merged into analytics/bench.py by ``PAGES``).

The managers' dashboard for each scope (admin: everything, manager: the team, rep: their own),
over the default period and over the last 365 days (the most daily figures a listed period
sums), for one rep picked by the manager, over a custom period (retention computed live from the
orders: the slow path), its Excel export, and the two setup pages. The pages read what the
nightly computation wrote; run it first.
"""

import datetime

from django.urls import reverse
from django.utils import timezone

from crm_site.bench import BenchContext, BenchPage
from crm_site.models import User


def _one_rep_url(ctx: BenchContext) -> str:
    rep = User.objects.filter(username="sales1").values_list("pk", flat=True).first()
    return f"{reverse('analytics:index')}?period=this_year&owner={rep or ''}"


def _custom_period_url(ctx: BenchContext) -> str:
    """Ninety days ending yesterday, as a custom period."""
    end = timezone.localdate() - datetime.timedelta(days=1)
    start = end - datetime.timedelta(days=89)
    return f"{reverse('analytics:index')}?period=custom&start={start.isoformat()}&end={end.isoformat()}"


DASHBOARD_PAGES = [
    BenchPage("analytics: dashboard (admin)", "/analytics/", "admin"),
    BenchPage("analytics: dashboard (manager)", "/analytics/", "manager"),
    BenchPage("analytics: dashboard (rep)", "/analytics/", "sales1"),
    BenchPage("analytics: dashboard, last 365 days (admin)", "/analytics/?period=last_365_days", "admin"),
    BenchPage("analytics: dashboard, one rep this year (manager)", _one_rep_url, "manager"),
    BenchPage("analytics: dashboard, custom period, live retention (admin)", _custom_period_url, "admin"),
    BenchPage("analytics: dashboard Excel export (admin)", "/analytics/export.xlsx", "admin"),
    BenchPage("analytics: computation runs (manager)", "/analytics/runs/", "manager"),
    BenchPage("analytics: settings (admin)", "/analytics/settings/", "admin"),
]
