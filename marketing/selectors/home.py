"""The marketing home page: campaigns running and their figures, the approval queue, segment
sizes, the opt-out rate, automation at work and the loyalty programme's members and liability.

A fixed number of queries whatever the size of the base: each part's figures come from that
part's aggregate selectors, and the lists shown are capped.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.access import Role, has_role
from marketing.models import AutomationRule, Campaign, RuleFiring, Segment
from marketing.selectors.campaigns import approval_queue, campaigns_list_figures, campaigns_roi_summary
from marketing.selectors.loyalty import loyalty_summary

# The home page's figures look back this far (campaigns started, messages sent, firings).
PERIOD_DAYS = 90
CAMPAIGNS_SHOWN = 8
SEGMENTS_SHOWN = 10
# Campaigns still at work: the home page lists these first.
ACTIVE_STATUSES = [Campaign.Status.SENDING, Campaign.Status.SCHEDULED, Campaign.Status.PAUSED]


@dataclass
class CampaignRow:
    campaign: Campaign
    figures: dict


def _campaign_rows(since: datetime) -> list[CampaignRow]:
    """Active campaigns, then those finished in the period, newest first (two queries for the
    figures of all of them)."""
    campaigns = list(
        Campaign.objects.filter(Q(status__in=ACTIVE_STATUSES) | Q(status=Campaign.Status.SENT, finished_at__gte=since))
        .select_related("owner")
        .order_by("-started_at", "-created_at", "-pk")[:CAMPAIGNS_SHOWN]
    )
    figures = campaigns_list_figures(campaign.pk for campaign in campaigns)
    empty = {"recipients": 0, "sent": 0, "delivered": 0, "opted_out": 0, "conversions": 0}
    return [CampaignRow(campaign, figures.get(campaign.pk, empty)) for campaign in campaigns]


def _segments() -> tuple[list[Segment], int]:
    """The largest active top-level segments by their last count, and how many segments there are."""
    counts = Segment.objects.aggregate(total=Count("pk"))
    largest = list(
        Segment.objects.filter(parent__isnull=True, is_active=True, last_count__isnull=False)
        .annotate(child_count=Count("children"))
        .order_by("-last_count", "name")[:SEGMENTS_SHOWN]
    )
    return largest, counts["total"]


def _automation(since: datetime) -> dict:
    rules = AutomationRule.objects.aggregate(total=Count("pk"), active=Count("pk", filter=Q(is_active=True)))
    firings = RuleFiring.objects.filter(fired_at__gte=since).aggregate(
        done=Count("pk", filter=Q(status=RuleFiring.Status.DONE)),
        failed=Count("pk", filter=Q(status=RuleFiring.Status.FAILED)),
    )
    return {**rules, **firings}


def marketing_home(*, user, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    since = now - timedelta(days=PERIOD_DAYS)
    segments, segment_total = _segments()
    loyalty = loyalty_summary()
    may_approve = has_role(user, Role.MANAGER, Role.ADMIN)
    chart = {
        "segments": {
            "label": _("Customers"),
            "labels": [segment.name for segment in segments],
            "values": [segment.last_count for segment in segments],
        },
        "tiers": {
            "label": _("Members"),
            "labels": [str(row["tier"]) if row["tier"] else _("No tier yet") for row in loyalty["by_tier"]],
            "values": [row["count"] for row in loyalty["by_tier"]],
        },
    }
    return {
        "period_days": PERIOD_DAYS,
        "roi": campaigns_roi_summary(since=since),
        "campaigns": _campaign_rows(since),
        "awaiting_approval": approval_queue().count() if may_approve else None,
        "segments": segments,
        "segment_total": segment_total,
        "automation": _automation(now - timedelta(days=7)),
        "loyalty": loyalty,
        "chart": chart,
    }
