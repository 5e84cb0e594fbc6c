"""Demo campaigns: five past and present campaigns on the demo segments, with their runs, their
recipients (a control group kept back), the outbox rows of what was sent (delivered or failed)
and the timeline entries, dated before the demo orders so the attribution finds conversions.

Runs after customers, sales and segments have seeded. Bulk inserts only, and each campaign's
audience is capped, so the cost stays flat at 100,000 customers: a few small ``create`` calls
for campaigns and runs, one id query per target segment, and bulk writes for the rest.
"""

import random
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from crm_site.bulkload import BulkTables, bulk_table, next_ids, sequences_reset
from crm_site.demo import DemoContext
from crm_site.models import Channel, OutboxMessage, Purpose, Suppression
from customers.models import Customer, Interaction, first_name_of
from marketing.models import Campaign, CampaignRecipient, CampaignRun, Segment, SegmentSnapshot
from marketing.selectors.segments import segment_customers
from marketing.services.campaign_sending import in_holdout

AUDIENCE_CAP = 3000  # customers per demo run
FAILED_SHARE = 0.07  # messages the provider could not deliver
OPT_OUT_SHARE = 0.01  # recipients who followed the opt-out link
DAY = timedelta(days=1)

# name, channel, objective, segment names to prefer (first found wins), body, holdout %, runs as
# days ago (several: a recurring campaign), status after them, cost per message, other costs.
PLANS = [
    (
        "Nowruz sale",
        Campaign.Channel.SMS,
        Campaign.Objective.SALES,
        ["Tehran customers", "Consented to SMS"],
        "{first_name}, Nowruz offers: 15% off everything until the 13th. {opt_out}",
        10,
        [75],
        Campaign.Status.SENT,
        1200,
        5_000_000,
    ),
    (
        "Win back lapsed customers",
        Campaign.Channel.SMS,
        Campaign.Objective.WIN_BACK,
        ["Consented to SMS", "Tehran customers"],
        "{first_name}, we miss you: a 10% voucher waits for you with code {code}. {opt_out}",
        20,
        [40],
        Campaign.Status.SENT,
        1200,
        0,
    ),
    (
        "Monthly newsletter",
        Campaign.Channel.EMAIL,
        Campaign.Objective.RETENTION,
        ["Consented to SMS", "Tehran customers"],
        "Dear {name},\n\nThis month's news and offers are inside.\n\nUnsubscribe: {opt_out}",
        10,
        [90, 60, 30],
        Campaign.Status.SCHEDULED,
        50,
        2_000_000,
    ),
    (
        "Loyalty double points week",
        Campaign.Channel.SMS,
        Campaign.Objective.LOYALTY,
        ["Tehran buyers in the last 90 days", "Tehran customers"],
        "{first_name}, double points on every purchase this week. {opt_out}",
        0,
        [3],
        Campaign.Status.PAUSED,
        1200,
        0,
    ),
    (
        "Summer preview",
        Campaign.Channel.SMS,
        Campaign.Objective.AWARENESS,
        ["Tehran customers"],
        "{first_name}, the summer collection arrives next week. {opt_out}",
        10,
        [],
        Campaign.Status.PENDING_APPROVAL,
        1200,
        1_000_000,
    ),
]


def _segment(names: list[str], fallback: Segment) -> Segment:
    found = {segment.name: segment for segment in Segment.objects.filter(name__in=names)}
    return next((found[name] for name in names if name in found), fallback)


def seed(ctx: DemoContext) -> None:
    if ctx.customers <= 0 or not Customer.objects.exists():
        ctx.summary.append("Campaigns: none (no customers)")
        return
    rng = ctx.rng_for("marketing.campaigns")
    owner = ctx.users.get("marketing") or ctx.users.get("admin")
    approver = ctx.users.get("manager") or ctx.users.get("admin")
    now = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        everyone, _created = Segment.objects.get_or_create(
            name="All customers", parent=None, defaults={"rules": {}, "owner": owner}
        )
        audiences: dict[int, list[tuple]] = {}
        made = 0
        for plan in PLANS:
            made += _campaign(
                ctx, rng, plan, owner=owner, approver=approver, now=now, everyone=everyone, cache=audiences
            )
    ctx.summary.append(f"Campaigns: {len(PLANS)} ({made:,} recipients)")


def _campaign(ctx, rng: random.Random, plan, *, owner, approver, now: datetime, everyone, cache) -> int:
    name, channel, objective, segment_names, body, holdout, runs_ago, status, cost, fixed = plan
    segment = _segment(segment_names, everyone)
    first = now - DAY * runs_ago[0] if runs_ago else None
    last = now - DAY * runs_ago[-1] if runs_ago else None
    recurring = len(runs_ago) > 1
    campaign = Campaign.objects.create(
        name=name,
        objective=objective,
        channel=channel,
        subject=name if channel == Campaign.Channel.EMAIL else "",
        body=body,
        schedule=Campaign.Schedule.RECURRING if recurring else Campaign.Schedule.AT,
        scheduled_at=first or now + 7 * DAY,
        repeat_every_days=30 if recurring else None,
        repeat_until=now + 120 * DAY if recurring else None,
        next_run_at=last + 30 * DAY if recurring else None,
        budget=cost * AUDIENCE_CAP + fixed + 10_000_000,
        cost_per_message=cost,
        fixed_cost=fixed,
        holdout_percent=holdout,
        attribution_days=30,
        status=status,
        owner=owner,
        submitted_at=(first or now) - 2 * DAY,
        approved_by=approver if runs_ago else None,
        approved_at=(first - DAY) if first else None,
        started_at=first,
        finished_at=last if status == Campaign.Status.SENT else None,
        tracking_code="",
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        tracking_code=f"cmp{campaign.pk}", created_at=(first or now) - 5 * DAY
    )
    campaign.segments.set([segment])
    if segment.pk in cache:
        ids = cache[segment.pk]
    else:
        ids = list(segment_customers(segment).order_by().values_list("pk", "created_at"))
        cache[segment.pk] = ids
    total = 0
    for sequence, days_ago in enumerate(runs_ago, start=1):
        started = now - DAY * days_ago
        partial = status == Campaign.Status.PAUSED
        run = CampaignRun.objects.create(
            campaign=campaign,
            sequence=sequence,
            status=CampaignRun.Status.PAUSED if partial else CampaignRun.Status.DONE,
            started_at=started,
            finished_at=None if partial else started + timedelta(minutes=20),
        )
        # Only customers who were already customers when the run went out.
        existing = [pk for pk, created_at in ids if created_at < started]
        audience = sorted(rng.sample(existing, min(AUDIENCE_CAP, len(existing))))
        SegmentSnapshot.objects.create(segment=segment, taken_at=started, size=len(existing), campaign_run=run)
        total += _recipients(rng, campaign=campaign, run=run, audience=audience, partial=partial)
    return total


def _recipients(rng: random.Random, *, campaign: Campaign, run: CampaignRun, audience: list[int], partial: bool) -> int:
    """The run's recipients, the outbox rows of its messages and their timeline entries."""
    email = campaign.channel == Campaign.Channel.EMAIL
    customers = Customer.objects.filter(pk__in=audience).values_list(
        "pk", "name", "first_name", "code", "phone", "email", "sms_consent", "email_consent"
    )
    outbox_id = next_ids(OutboxMessage)[OutboxMessage]
    tables = BulkTables(
        outbox=bulk_table(OutboxMessage, with_pk=True),
        recipients=bulk_table(CampaignRecipient),
        timeline=bulk_table(Interaction),
    )
    message_type = ContentType.objects.get_for_model(OutboxMessage)
    started = run.started_at
    ends = started + timedelta(days=campaign.attribution_days)
    opted_out: list[tuple[str, str]] = []
    holdouts = count = 0
    for pk, name, first_name, code, phone, address_email, sms_ok, email_ok in customers:
        count += 1
        common = {"run_id": run.pk, "campaign_id": campaign.pk, "customer_id": pk}
        if in_holdout(run_id=run.pk, customer_id=pk, percent=campaign.holdout_percent):
            holdouts += 1
            tables.recipients.add(
                **common, status=CampaignRecipient.Status.HOLDOUT, processed_at=started, attribution_ends_at=ends
            )
            continue
        if partial and rng.random() < 0.4:  # paused before these were reached
            tables.recipients.add(**common, status=CampaignRecipient.Status.PENDING)
            continue
        consent, address = (email_ok, address_email) if email else (sms_ok, phone)
        if not consent or not address:
            status = CampaignRecipient.Status.NO_CONSENT if not consent else CampaignRecipient.Status.NO_ADDRESS
            tables.recipients.add(**common, status=status, processed_at=started)
            continue
        sent_at = started + timedelta(seconds=rng.randrange(60, 1200))
        failed = rng.random() < FAILED_SHARE
        text = (
            campaign.body.replace("{first_name}", first_name_of(first_name=first_name, name=name))
            .replace("{name}", name)
            .replace("{code}", code)
            .replace("{opt_out}", "")
            .strip()
        )
        tables.outbox.add(
            id=outbox_id,
            channel=Channel.EMAIL if email else Channel.SMS,
            purpose=Purpose.MARKETING,
            recipient=address,
            subject=campaign.subject,
            body=text,
            idempotency_key=f"campaign:{run.pk}:{pk}",
            status=OutboxMessage.Status.FAILED if failed else OutboxMessage.Status.SENT,
            attempts=5 if failed else 1,
            next_attempt_at=started,
            claimed_at=sent_at,
            error="Provider rejected the number" if failed else "",
            created_at=started,
            sent_at=sent_at,
        )
        opted = not failed and rng.random() < OPT_OUT_SHARE
        if opted:
            opted_out.append((Channel.EMAIL if email else Channel.SMS, address))
        tables.recipients.add(
            **common,
            status=CampaignRecipient.Status.QUEUED,
            address=address,
            outbox_message_id=outbox_id,
            processed_at=started,
            attribution_ends_at=ends,
            opted_out_at=sent_at + timedelta(hours=rng.randrange(1, 48)) if opted else None,
        )
        tables.timeline.add(
            customer_id=pk,
            kind=Interaction.Kind.CAMPAIGN,
            occurred_at=started,
            subject=f"{'Email' if email else 'SMS'} campaign: {campaign.name}"[:200],
            body=text,
            direction=Interaction.Direction.OUTBOUND,
            content_type_id=message_type.pk,
            object_id=str(outbox_id),
            created_at=started,
        )
        outbox_id += 1
    tables.flush()
    sequences_reset(OutboxMessage)
    Suppression.objects.bulk_create(
        [Suppression(channel=channel, address=address, reason=campaign.name[:200]) for channel, address in opted_out],
        ignore_conflicts=True,
    )
    CampaignRun.objects.filter(pk=run.pk).update(audience_size=count, holdout_size=holdouts)
    return count
