"""What ``make bench`` measures in the marketing app (see crm_site/bench.py).

Pages: the marketing home, the segment list, the segment builder's live count over the whole
base (province + orders in the last year + total spent: a behaviour segment, the costly kind),
the largest segment's page, the campaign list and the page of the campaign with the most
recipients (its figures, ROI and chart), the automation rules, the loyalty overview and the
member with the longest ledger.
Jobs: counting that segment; a campaign to every customer, fixed and queued (the audience, the
messages in the outbox and the timeline entries), then dispatched through the in-memory SMS
backend; the daily automation job; the loyalty points expiry.

The job functions are imported inside the callables: this module only describes the work.
"""

import json

from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from crm_site.bench import BenchContext, BenchJob, BenchPage, midday_today
from crm_site.models import OutboxMessage, User
from customers.models import Customer, Interaction
from marketing.models import Campaign, CampaignRecipient, LoyaltyAccount, Segment
from sales.models import Order

_BENCH_NAME = "Bench: every customer"
_COUNT_NAME = "Bench: three conditions"


def _bench_rules() -> dict:
    """Customers of the two provinces with most customers who ordered in the last 365 days and
    spent at least the median order total over all time."""
    provinces = list(
        Customer.objects.exclude(province="")
        .values("province")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("province", flat=True)[:2]
    )
    totals = Order.objects.order_by("total").values_list("total", flat=True)
    count = totals.count()
    median = str(totals[count // 2]) if count else "0"
    return {
        "match": "all",
        "conditions": [
            {"field": "province", "op": "in", "value": provinces},
            {"field": "orders_count", "op": "gte", "value": 1, "days": 365},
            {"field": "total_spent", "op": "gte", "value": median},
        ],
    }


# The live count's form: filled by the page's setup, since the rule needs the seeded data.
_PREVIEW_FORM: dict = {}


def _preview_setup(ctx: BenchContext) -> None:
    _PREVIEW_FORM.update(rules=json.dumps(_bench_rules()), kind=Segment.Kind.RULE)


def _largest_segment_url(ctx: BenchContext) -> str:
    largest = (
        Segment.objects.exclude(name__in=[_BENCH_NAME, _COUNT_NAME])
        .order_by("-last_count", "pk")
        .values_list("pk", flat=True)
    )
    return reverse("marketing:segment_detail", args=[largest.first() or 0])


def _biggest_campaign_url(ctx: BenchContext) -> str:
    biggest = (
        CampaignRecipient.objects.exclude(campaign__name=_BENCH_NAME)
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("campaign_id", flat=True)
        .first()
    )
    return reverse("marketing:campaign_detail", args=[biggest or 0])


def _longest_ledger_url(ctx: BenchContext) -> str:
    account = LoyaltyAccount.objects.annotate(n=Count("entries")).order_by("-n").values("customer_id").first()
    return reverse("marketing:loyalty_member", args=[account["customer_id"] if account else 0])


# --- segment count ------------------------------------------------------------------------------


def _count_segment(ctx: BenchContext) -> None:
    from marketing.services.segments import segment_count

    segment, _created = Segment.objects.update_or_create(
        name=_COUNT_NAME, parent=None, defaults={"rules": _bench_rules(), "kind": Segment.Kind.RULE}
    )
    segment_count(segment=segment)


# --- a campaign to every customer ---------------------------------------------------------------


def _vacuum(*models) -> None:
    """Clear out the rows the previous bench run deleted, as autovacuum would have by the next
    real campaign: otherwise the dispatcher's claims step over 100,000 dead index entries of the
    previous run's messages, which no steady-state outbox has (PostgreSQL, outside a transaction:
    the bench's own tests run inside one)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _campaign_reset(ctx: BenchContext) -> Campaign:
    """A fresh approved SMS campaign to a segment of every customer, all of whom agree to SMS;
    the previous bench run's rows are removed first (untimed)."""
    old = list(Campaign.objects.filter(name=_BENCH_NAME).values_list("pk", flat=True))
    if old:
        keys = CampaignRecipient.objects.filter(campaign_id__in=old).values("outbox_message_id")
        Interaction.objects.filter(kind=Interaction.Kind.CAMPAIGN, subject__endswith=_BENCH_NAME).delete()
        CampaignRecipient.objects.filter(campaign_id__in=old).delete()
        OutboxMessage.objects.filter(idempotency_key__startswith="campaign:", pk__in=keys).delete()
        Campaign.objects.filter(pk__in=old).delete()
        _vacuum(OutboxMessage, CampaignRecipient, Interaction)
    # Every customer takes part: a campaign of 100,000 messages at the default scale.
    Customer.objects.filter(sms_consent=False).update(sms_consent=True)
    segment, _created = Segment.objects.get_or_create(name=_BENCH_NAME, parent=None, defaults={"rules": {}})
    owner = User.objects.get(username="marketing")
    approver = User.objects.get(username="manager")
    now = timezone.now()
    campaign = Campaign.objects.create(
        name=_BENCH_NAME,
        owner=owner,
        channel=Campaign.Channel.SMS,
        body="{first_name}, 20% off everything this week. {opt_out}",
        status=Campaign.Status.SCHEDULED,
        approved_by=approver,
        approved_at=now,
        next_run_at=now,
        cost_per_message=500,
    )
    campaign.segments.add(segment)
    return campaign


def _campaign_queue(ctx: BenchContext) -> None:
    from marketing.services.campaign_sending import campaign_send_now

    campaign = Campaign.objects.get(name=_BENCH_NAME)
    run = campaign_send_now(campaign=campaign, now=midday_today())
    if run is None or CampaignRecipient.objects.filter(run=run, status=CampaignRecipient.Status.PENDING).exists():
        raise RuntimeError("The bench campaign did not queue every recipient.")


def _campaign_queued(ctx: BenchContext) -> None:
    _campaign_reset(ctx)
    _campaign_queue(ctx)


def _campaign_dispatch(ctx: BenchContext) -> None:
    from crm_site.bench import outbox_dispatch_all

    outbox_dispatch_all(ctx)
    left = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.QUEUED, idempotency_key__startswith="campaign:"
    ).count()
    if left:
        raise RuntimeError(f"{left:,} campaign messages were left in the outbox.")


# --- daily jobs ---------------------------------------------------------------------------------


def _automation_daily(ctx: BenchContext) -> None:
    from marketing.services.automation import automation_run_daily

    automation_run_daily()


def _expire_points(ctx: BenchContext) -> None:
    from marketing.services.loyalty import points_expire

    points_expire()


PAGES = [
    BenchPage("marketing home", lambda ctx: reverse("marketing:index"), "marketing"),
    BenchPage("segment list", lambda ctx: reverse("marketing:segment_list"), "marketing"),
    BenchPage(
        "segment live count (3 conditions)",
        lambda ctx: reverse("marketing:segment_preview"),
        "marketing",
        method="POST",
        data=_PREVIEW_FORM,
        setup=_preview_setup,
    ),
    BenchPage("segment, largest", _largest_segment_url, "marketing"),
    BenchPage("campaign list", lambda ctx: reverse("marketing:campaign_list"), "marketing"),
    BenchPage("campaign, most recipients", _biggest_campaign_url, "marketing"),
    BenchPage("automation rules", lambda ctx: reverse("marketing:rule_list"), "marketing"),
    BenchPage("loyalty overview", lambda ctx: reverse("marketing:loyalty_index"), "marketing"),
    BenchPage("loyalty member, longest ledger", _longest_ledger_url, "marketing"),
]

JOBS = [
    BenchJob("segment count (3 conditions, whole base)", _count_segment),
    BenchJob("campaign to every customer: audience and queue", _campaign_queue, setup=_campaign_reset),
    BenchJob("campaign to every customer: dispatch (locmem SMS)", _campaign_dispatch, setup=_campaign_queued),
    BenchJob("automation daily job", _automation_daily),
    BenchJob("loyalty points expiry", _expire_points),
]
