"""Models of the analytics app."""

from analytics.models.reports import DailyFact, ProductPair, ReportSnapshot
from analytics.models.runs import ComputeRun
from analytics.models.settings import AnalyticsSettings, TicketCost
from analytics.models.values import CustomerValue

__all__ = [
    "AnalyticsSettings",
    "ComputeRun",
    "CustomerValue",
    "DailyFact",
    "ProductPair",
    "ReportSnapshot",
    "TicketCost",
]
