"""Removing the seeded rows that protect others, for the demo tests that seed twice.

Marketing rows point at users, customers and orders with protecting keys (a campaign's owner, a
points entry's order), and sales returns at their orders, so a test that wipes the seeded
customers, orders or users clears these first.
"""

from marketing.models import (
    AutomationRule,
    Campaign,
    EarningRule,
    LoyaltyAccount,
    LoyaltyTier,
    PointsEntry,
    Segment,
)
from sales.models import OrderReturn


def wipe_protecting_rows() -> None:
    OrderReturn.objects.all().delete()  # its lines cascade; it protects its order
    # Children first: the ledger protects its accounts and orders; campaigns their segments.
    for model in (PointsEntry, LoyaltyAccount, LoyaltyTier, EarningRule, AutomationRule, Campaign):
        model.objects.all().delete()
    while Segment.objects.exists():  # sub-segments protect their parents: leaves first
        Segment.objects.filter(children__isnull=True).delete()
