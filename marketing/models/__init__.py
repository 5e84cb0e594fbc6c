"""The marketing app's data, one module per part.

segments     saved rules over customers and static lists, nested; membership over time
campaigns    campaigns, their runs and recipients (the audience snapshot and delivery state)
automation   "when EVENT then ACTIONS" rules and the log of their firings
loyalty      the loyalty programme: settings, tiers, earning rules, accounts and the points ledger
"""

from marketing.models.automation import AutomationRule, RuleFiring
from marketing.models.campaigns import Campaign, CampaignRecipient, CampaignRun
from marketing.models.loyalty import EarningRule, LoyaltyAccount, LoyaltySettings, LoyaltyTier, PointsEntry
from marketing.models.segments import Segment, SegmentMember, SegmentMembership, SegmentSnapshot

__all__ = [
    "AutomationRule",
    "Campaign",
    "CampaignRecipient",
    "CampaignRun",
    "EarningRule",
    "LoyaltyAccount",
    "LoyaltySettings",
    "LoyaltyTier",
    "PointsEntry",
    "RuleFiring",
    "Segment",
    "SegmentMember",
    "SegmentMembership",
    "SegmentSnapshot",
]
