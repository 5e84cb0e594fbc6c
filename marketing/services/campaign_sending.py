"""Sending campaigns: starting a due run, fixing its audience, and sending in bounded batches.

Exactly one message per recipient, whatever happens to the job:

* A run starts under a lock on the campaign's row, whose status and ``next_run_at`` say whether
  the occurrence is still due: two beat jobs at once start one run (and ``(campaign, sequence)``
  is unique besides).
* The audience is written in one step (``CampaignRecipient`` rows, unique per run and customer,
  inserted with ``ignore_conflicts``) in the transaction that starts the run; the control group
  is drawn from a hash of (run, customer), so doing it again draws the same customers.
* A batch claims pending recipients (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL; on
  SQLite the IMMEDIATE transaction makes batches run one after another), queues their messages
  with the idempotency key ``campaign:<run>:<customer>``, writes the timeline entries or call
  tasks and marks the recipients processed, all in one transaction: a crash rolls the whole
  batch back and the next attempt does it again, never twice; two batches at once take
  different recipients.
* Each batch reads the campaign's status first: a paused or cancelled campaign stops after the
  batch in progress. During marketing quiet hours a batch sends nothing and the run waits.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, Max, OuterRef, Q, Subquery, Value
from django.db.models.constants import OnConflict
from django.db.models.functions import Cast, Coalesce, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.bulkload import bulk_table
from crm_site.messaging.quiet import marketing_is_quiet
from crm_site.messaging.services import OutgoingMessage, messages_enqueue_many
from crm_site.models import Channel, OutboxMessage, Purpose
from customers.models import Interaction, first_name_of
from marketing.models import Campaign, CampaignRecipient, CampaignRun
from marketing.selectors.campaigns import campaign_audience, points_for
from marketing.services.campaigns import opt_out_token
from marketing.services.segments import segment_snapshot_take
from sales.models import Activity
from sales.services.aftersale import message_render

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000  # recipients per sending batch (one transaction, one task)
INSERT_CHUNK = 5000  # audience rows per INSERT
STALLED_AFTER = timedelta(minutes=2)  # a sending run with no batch for this long is restarted
CALL_DUE_AFTER = timedelta(days=2)  # a call list's tasks are due this long after the run
Status = CampaignRecipient.Status


def in_holdout(*, run_id: int, customer_id: int, percent: int) -> bool:
    """Whether the customer is in the run's control group: a stable hash of (run, customer) under
    ``percent`` of its range, so a retried or doubled start draws the very same group."""
    if percent <= 0:
        return False
    digest = int.from_bytes(hashlib.sha256(f"{run_id}:{customer_id}".encode()).digest()[:8], "big")
    return digest % 10_000 < percent * 100


_PLACEHOLDER_TOKEN = "TOKEN"  # noqa: S105 (a stand-in replaced by each recipient's signed token)


@lru_cache(maxsize=8)
def _opt_out_pattern(site_url: str) -> str:
    return f"{site_url.rstrip('/')}{reverse('marketing:campaign_opt_out', args=[_PLACEHOLDER_TOKEN])}"


def opt_out_link(recipient_id: int) -> str:
    """The absolute unsubscribe link of a recipient (the URL is resolved once, not per message)."""
    pattern = _opt_out_pattern(getattr(settings, "SITE_URL", "http://127.0.0.1:8000"))
    return pattern.replace(_PLACEHOLDER_TOKEN, opt_out_token(recipient_id))


def render_for(*, template: str, customer: dict, recipient_id: int | None, points: int | None = None) -> str:
    """The campaign's text for one customer (``customer`` has name, first_name and code)."""
    if not template:
        return ""
    values = {
        "first_name": first_name_of(first_name=customer["first_name"], name=customer["name"]),
        "name": customer["name"],
        "code": customer["code"],
        "points": "" if points is None else str(points),
        "opt_out": opt_out_link(recipient_id) if recipient_id and "{opt_out}" in template else "",
    }
    return message_render(template=template, values=values)


# --- starting a run ----------------------------------------------------------------------------


def _following_run(campaign: Campaign, *, now: datetime) -> datetime | None:
    """The occurrence after the one starting now (recurring campaigns), or None after the last."""
    if campaign.schedule != Campaign.Schedule.RECURRING or not campaign.repeat_every_days:
        return None
    step = timedelta(days=campaign.repeat_every_days)
    following = (campaign.next_run_at or now) + step
    while following <= now:  # occurrences missed while the job was down are not made up
        following += step
    if campaign.repeat_until is not None and following > campaign.repeat_until:
        return None
    return following


def campaign_run_start(*, campaign: Campaign, now: datetime | None = None, kick: bool = True) -> CampaignRun | None:
    """Start the campaign's due run: fix its audience and (with ``kick``) queue its first batch.
    Returns None when the campaign is not (or no longer) due: another job started it."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != Campaign.Status.SCHEDULED or campaign.next_run_at is None or campaign.next_run_at > now:
            return None
        sequence = (campaign.runs.aggregate(last=Max("sequence"))["last"] or 0) + 1
        run = CampaignRun.objects.create(
            campaign=campaign, sequence=sequence, status=CampaignRun.Status.PREPARING, started_at=now
        )
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.SENDING,
            next_run_at=_following_run(campaign, now=now),
            started_at=Coalesce("started_at", Value(now)),
            updated_at=now,
        )
        _materialise(run=run, campaign=campaign, now=now)
        if kick:
            transaction.on_commit(lambda: run_kick(run.pk))
    run.refresh_from_db()
    return run


def _materialise(*, run: CampaignRun, campaign: Campaign, now: datetime) -> None:
    """Write the run's audience (target segments minus excluded ones) in bulk, with its control
    group already drawn, and snapshot the size of each target segment. A one-off campaign leaves
    out customers automation already enrolled in it: they had their message."""
    audience = campaign_audience(campaign, now=now).order_by()
    if not campaign.repeat_every_days:
        audience = audience.exclude(
            Exists(CampaignRecipient.objects.filter(campaign_id=campaign.pk, customer=OuterRef("pk")))
        )
    ids = list(audience.values_list("pk", flat=True))
    ends = now + timedelta(days=campaign.attribution_days)
    rows = []
    for customer_id in ids:
        if in_holdout(run_id=run.pk, customer_id=customer_id, percent=campaign.holdout_percent):
            rows.append((run.pk, campaign.pk, customer_id, Status.HOLDOUT, "", now, ends))
        else:
            rows.append((run.pk, campaign.pk, customer_id, Status.PENDING, "", None, None))
    recipients_insert(rows)
    for segment in campaign.segments.all():
        segment_snapshot_take(segment=segment, run=run, now=now)
    counts = CampaignRecipient.objects.filter(run=run).aggregate(
        audience=Count("pk"), holdout=Count("pk", filter=Q(status=Status.HOLDOUT))
    )
    CampaignRun.objects.filter(pk=run.pk).update(
        status=CampaignRun.Status.SENDING, audience_size=counts["audience"], holdout_size=counts["holdout"]
    )


_RECIPIENT_COLUMNS = ("run", "campaign", "customer", "status", "address", "processed_at", "attribution_ends_at")


def recipients_insert(rows: list[tuple]) -> None:
    """Insert recipients given as tuples of ``_RECIPIENT_COLUMNS``, skipping any (run, customer)
    pair already there: a multi-row INSERT with ON CONFLICT DO NOTHING (INSERT OR IGNORE on
    SQLite), since the ORM's ``bulk_create`` spends most of its time preparing values."""
    if not rows:
        return
    ops, quote = connection.ops, connection.ops.quote_name
    meta = CampaignRecipient._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in _RECIPIENT_COLUMNS)
    placeholder = f"({', '.join(['%s'] * len(_RECIPIENT_COLUMNS))})"
    per_statement = min(INSERT_CHUNK, (connection.features.max_query_params or 65535) // len(_RECIPIENT_COLUMNS))
    suffix = ops.on_conflict_suffix_sql([], OnConflict.IGNORE, [], [])
    head = f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {quote(meta.db_table)} ({columns}) VALUES "
    adapt = ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = []
            for run_id, campaign_id, customer_id, status, address, processed_at, ends_at in chunk:
                params += [run_id, campaign_id, customer_id, status, address, adapt(processed_at), adapt(ends_at)]
            # Table and column names come from the model's metadata; every value is a parameter.
            cursor.execute(f"{head}{', '.join([placeholder] * len(chunk))} {suffix}", params)


def run_kick(run_id: int) -> None:
    """Queue a sending batch for the run (after the current transaction commits)."""
    from marketing.tasks.campaigns import campaign_send_batch

    try:
        campaign_send_batch.delay(run_id)
    except Exception:
        # A broker that is down must not fail the request; the beat job restarts stalled runs.
        logger.warning("Could not queue a batch of campaign run %s; the beat job will.", run_id, exc_info=True)


# --- a batch -----------------------------------------------------------------------------------


@dataclass
class BatchResult:
    processed: int = 0
    messaged: int = 0
    tasks: int = 0
    skipped: int = 0
    waiting: bool = False  # quiet hours: nothing was tried
    stopped: bool = False  # the run is paused, cancelled or done
    more: bool = False  # the batch came back full: send another


def campaign_run_send_batch(
    *, run: CampaignRun, now: datetime | None = None, batch_size: int | None = None
) -> BatchResult:
    """Send to up to ``batch_size`` (``BATCH_SIZE``) of the run's pending recipients, in one
    transaction."""
    now = now or timezone.now()
    batch_size = batch_size or BATCH_SIZE
    result = BatchResult()
    with transaction.atomic():
        run = CampaignRun.objects.select_related("campaign").get(pk=run.pk)
        campaign = run.campaign
        if run.status != CampaignRun.Status.SENDING or campaign.status not in (
            Campaign.Status.SENDING,
            Campaign.Status.SCHEDULED,
        ):
            result.stopped = True
            return result
        if marketing_is_quiet(now):
            result.waiting = True
            return result
        CampaignRun.objects.filter(pk=run.pk).update(last_batch_at=now)
        ids = _claim(run=run, limit=batch_size)
        if ids:
            _process(run=run, campaign=campaign, ids=ids, now=now, result=result)
        result.processed = len(ids)
        result.more = len(ids) == batch_size
        if not result.more and not CampaignRecipient.objects.filter(run=run, status=Status.PENDING).exists():
            _finish(run=run, campaign=campaign, now=now)
            result.stopped = True
    return result


def _claim(*, run: CampaignRun, limit: int) -> list[int]:
    """Lock up to ``limit`` pending recipients of the run for this transaction (others skip them)."""
    pending = CampaignRecipient.objects.filter(run=run, status=Status.PENDING)
    if connection.features.has_select_for_update_skip_locked:
        pending = pending.select_for_update(skip_locked=True)
    return list(pending.order_by("id").values_list("id", flat=True)[:limit])


_CUSTOMER_FIELDS = (
    "pk",
    "customer_id",
    "customer__name",
    "customer__first_name",
    "customer__code",
    "customer__phone",
    "customer__email",
    "customer__sms_consent",
    "customer__email_consent",
    "customer__owner_id",
)


def _process(*, run: CampaignRun, campaign: Campaign, ids: list[int], now: datetime, result: BatchResult) -> None:
    rows = list(CampaignRecipient.objects.filter(pk__in=ids).order_by("id").values_list(*_CUSTOMER_FIELDS))
    uses_points = "{points}" in campaign.body or "{points}" in campaign.subject
    points = points_for([row[1] for row in rows]) if uses_points else {}
    ends = now + timedelta(days=campaign.attribution_days)
    no_consent, no_address, bodies, reach = [], [], {}, []
    for pk, customer_id, name, first_name, code, phone, email, sms_ok, email_ok, owner_id in rows:
        customer = {"name": name, "first_name": first_name, "code": code}
        if campaign.channel == Campaign.Channel.CALL_LIST:
            if not phone:
                no_address.append(pk)
                continue
            reach.append((pk, customer_id, phone, owner_id))
        else:
            consent, address = (sms_ok, phone) if campaign.channel == Campaign.Channel.SMS else (email_ok, email)
            if not consent:
                no_consent.append(pk)
                continue
            if not address:
                no_address.append(pk)
                continue
            reach.append((pk, customer_id, address, owner_id))
        balance = points.get(customer_id, 0) if uses_points else None
        bodies[customer_id] = (
            render_for(template=campaign.subject, customer=customer, recipient_id=pk, points=balance),
            render_for(template=campaign.body, customer=customer, recipient_id=pk, points=balance),
        )
    if no_consent:
        CampaignRecipient.objects.filter(pk__in=no_consent).update(status=Status.NO_CONSENT, processed_at=now)
    if no_address:
        CampaignRecipient.objects.filter(pk__in=no_address).update(status=Status.NO_ADDRESS, processed_at=now)
    result.skipped = len(no_consent) + len(no_address)
    if campaign.channel == Campaign.Channel.CALL_LIST:
        _create_calls(run=run, campaign=campaign, reach=reach, bodies=bodies, now=now, ends=ends)
        result.tasks = len(reach)
    else:
        result.messaged = _queue_messages(run=run, campaign=campaign, reach=reach, bodies=bodies, now=now, ends=ends)
        result.skipped += len(reach) - result.messaged


def _queue_messages(*, run, campaign, reach, bodies, now, ends) -> int:
    channel = Channel.SMS if campaign.channel == Campaign.Channel.SMS else Channel.EMAIL
    prefix = f"campaign:{run.pk}:"
    messages_enqueue_many(
        OutgoingMessage(
            channel=channel,
            recipient=address,
            subject=bodies[customer_id][0],
            body=bodies[customer_id][1],
            idempotency_key=f"{prefix}{customer_id}",
            purpose=Purpose.MARKETING,
            concerning=campaign,
        )
        for _pk, customer_id, address, _owner in reach
    )
    ids = [row[0] for row in reach]
    outbox = OutboxMessage.objects.filter(
        idempotency_key=Concat(Value(prefix), Cast(OuterRef("customer_id"), CharField()), output_field=CharField())
    )
    # Link each recipient to its outbox row; an address the outbox refused leaves no row.
    CampaignRecipient.objects.filter(pk__in=ids).update(
        status=Status.QUEUED,
        processed_at=now,
        attribution_ends_at=ends,
        outbox_message=Subquery(outbox.values("pk")[:1]),
        address=Coalesce(Subquery(outbox.values("recipient")[:1]), Value("")),
    )
    CampaignRecipient.objects.filter(pk__in=ids, outbox_message__isnull=True).update(
        status=Status.NO_ADDRESS, attribution_ends_at=None
    )
    CampaignRecipient.objects.filter(pk__in=ids, outbox_message__status=OutboxMessage.Status.SUPPRESSED).update(
        status=Status.SUPPRESSED, attribution_ends_at=None
    )
    messaged = list(
        CampaignRecipient.objects.filter(pk__in=ids, status=Status.QUEUED).values_list(
            "customer_id", "outbox_message_id"
        )
    )
    message_type = ContentType.objects.get_for_model(OutboxMessage)
    kind = _("Email") if channel == Channel.EMAIL else _("SMS")
    subject = (_("%(kind)s campaign: %(name)s") % {"kind": kind, "name": campaign.name})[:200]
    # The timeline entries in one bulk write (COPY on PostgreSQL), inside the batch's transaction.
    timeline = bulk_table(Interaction)
    for customer_id, outbox_id in messaged:
        timeline.add(
            customer_id=customer_id,
            kind=Interaction.Kind.CAMPAIGN,
            occurred_at=now,
            subject=subject,
            body=bodies[customer_id][1],
            direction=Interaction.Direction.OUTBOUND,
            content_type_id=message_type.pk,
            object_id=str(outbox_id),
            created_at=now,
        )
    timeline.flush()
    return len(messaged)


def _create_calls(*, run, campaign, reach, bodies, now, ends) -> None:
    subject = (_("Campaign call: %(name)s") % {"name": campaign.name})[:200]
    activities = Activity.objects.bulk_create(
        [
            Activity(
                kind=Activity.Kind.CALL,
                subject=subject,
                notes=bodies[customer_id][1],
                due_at=now + CALL_DUE_AFTER,
                assignee_id=owner_id or campaign.owner_id,
                customer_id=customer_id,
                created_by_id=campaign.owner_id,
            )
            for _pk, customer_id, _phone, owner_id in reach
        ]
    )
    recipients = [
        CampaignRecipient(
            pk=pk,
            status=Status.TASK_CREATED,
            processed_at=now,
            attribution_ends_at=ends,
            activity_id=activity.pk,
            address=phone,
        )
        for (pk, _customer_id, phone, _owner), activity in zip(reach, activities, strict=True)
    ]
    CampaignRecipient.objects.bulk_update(
        recipients, ["status", "processed_at", "attribution_ends_at", "activity", "address"], batch_size=500
    )


def _finish(*, run: CampaignRun, campaign: Campaign, now: datetime) -> None:
    """The run has nobody left to send to: close it, and the campaign when it was its send."""
    CampaignRun.objects.filter(pk=run.pk, status=CampaignRun.Status.SENDING).update(
        status=CampaignRun.Status.DONE, finished_at=now
    )
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Campaign.Status.SENDING:
        return  # enrolment runs of a scheduled campaign leave its status alone
    if CampaignRun.objects.filter(campaign=campaign, status=CampaignRun.Status.SENDING).exists():
        return
    if campaign.next_run_at is not None:
        campaign.status = Campaign.Status.SCHEDULED
    else:
        campaign.status = Campaign.Status.SENT
        campaign.finished_at = now
    campaign.save(update_fields=["status", "finished_at", "updated_at"])


# --- jobs --------------------------------------------------------------------------------------


def campaigns_run_due(*, now: datetime | None = None) -> dict:
    """The beat job: start every due run, and restart sending runs whose batches stopped (a
    crashed worker, quiet hours, a broker outage). Returns counts."""
    now = now or timezone.now()
    started = 0
    due = Campaign.objects.filter(status=Campaign.Status.SCHEDULED, next_run_at__lte=now).order_by("next_run_at")
    for campaign in due.only("pk"):
        if campaign_run_start(campaign=campaign, now=now) is not None:
            started += 1
    stalled = list(
        CampaignRun.objects.filter(status=CampaignRun.Status.SENDING)
        .filter(Q(last_batch_at__isnull=True) | Q(last_batch_at__lt=now - STALLED_AFTER))
        .exclude(started_at__gt=now)
        .values_list("pk", flat=True)
    )
    for run_id in stalled:
        run_kick(run_id)
    return {"started": started, "restarted": len(stalled)}


def campaign_send_now(*, campaign: Campaign, now: datetime | None = None) -> CampaignRun | None:
    """Start an approved campaign's run at once and send all of it in this process, batch after
    batch, without Celery (benchmarks, the shell). Returns the run (None when the campaign is
    not approved); during quiet hours the run is left waiting for the beat job."""
    now = now or timezone.now()
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SCHEDULED).update(next_run_at=now)
    run = campaign_run_start(campaign=campaign, now=now, kick=False)
    if run is None:
        return None
    while True:
        result = campaign_run_send_batch(run=run, now=now)
        if not result.more:
            break
    run.refresh_from_db()
    return run
