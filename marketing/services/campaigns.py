"""Writes of campaigns: plan (create, edit while a draft), approval, scheduling and its changes
(pause, resume, cancel), automation's enrolment, and opt-outs.

The life of a campaign::

    draft --submit--> pending --approve--> scheduled --(due)--> sending --> sent
      ^                  |                     |  ^                |
      +------reject------+                     v  |                v
                                             paused <-------------+        (any open state) --> cancelled

A recurring campaign goes back to "scheduled" after each run until its last occurrence. Sending
itself (runs, batches, the outbox) lives in ``marketing.services.campaign_sending``.
"""

import contextlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from crm_site.access import Role, has_role
from crm_site.messaging.services import suppression_add
from crm_site.models import Channel, User
from customers.models import Customer
from marketing.models import Campaign, CampaignRecipient, CampaignRun, Segment
from sales.services.aftersale import template_errors

# The placeholders a campaign's subject and message may use.
PLACEHOLDERS = ("first_name", "name", "code", "points", "opt_out")
EDITABLE_FIELDS = (
    "name",
    "objective",
    "description",
    "channel",
    "segments",
    "excluded_segments",
    "subject",
    "body",
    "schedule",
    "scheduled_at",
    "repeat_every_days",
    "repeat_until",
    "budget",
    "cost_per_message",
    "fixed_cost",
    "holdout_percent",
    "attribution_days",
    "tracking_code",
)
# Campaigns that may still be cancelled (and, except drafts, paused).
OPEN_STATUSES = (
    Campaign.Status.DRAFT,
    Campaign.Status.PENDING_APPROVAL,
    Campaign.Status.SCHEDULED,
    Campaign.Status.SENDING,
    Campaign.Status.PAUSED,
)
OPT_OUT_SALT = "marketing.campaign.opt-out"
OPT_OUT_SIGNATURE_LENGTH = 16  # characters of the HMAC kept in the link: 96 bits, and a short SMS


# --- planning ----------------------------------------------------------------------------------


def _check(campaign: Campaign, *, segments: list[Segment], excluded: list[Segment]) -> None:
    """Everything that must hold for a campaign to be saved (raises with every problem at once)."""
    errors: dict[str, list[str]] = {}
    if not segments:
        errors.setdefault("segments", []).append(_("Choose at least one segment to send to."))
    overlap = {segment.pk for segment in segments} & {segment.pk for segment in excluded}
    if overlap:
        errors.setdefault("excluded_segments", []).append(_("A segment cannot be both a target and an exclusion."))
    if campaign.channel in (Campaign.Channel.SMS, Campaign.Channel.EMAIL) and not campaign.body.strip():
        errors.setdefault("body", []).append(_("Write the message."))
    if campaign.channel == Campaign.Channel.EMAIL and not campaign.subject.strip():
        errors.setdefault("subject", []).append(_("An email needs a subject."))
    for field in ("body", "subject"):
        problems = template_errors(text=getattr(campaign, field), allowed=PLACEHOLDERS)
        if problems:
            errors.setdefault(field, []).extend(problems)
    if campaign.schedule == Campaign.Schedule.NOW:
        campaign.scheduled_at = campaign.repeat_every_days = campaign.repeat_until = None
    else:
        if campaign.scheduled_at is None:
            errors.setdefault("scheduled_at", []).append(_("Say when to send."))
        if campaign.schedule == Campaign.Schedule.AT:
            campaign.repeat_every_days = campaign.repeat_until = None
        else:
            if not campaign.repeat_every_days:
                errors.setdefault("repeat_every_days", []).append(_("Say how many days apart the sendings are."))
            if campaign.repeat_until is None:
                errors.setdefault("repeat_until", []).append(_("Say until when to repeat."))
            elif campaign.scheduled_at and campaign.repeat_until <= campaign.scheduled_at:
                errors.setdefault("repeat_until", []).append(_("The repetition must end after the first sending."))
    for field in ("budget", "cost_per_message", "fixed_cost"):
        if getattr(campaign, field) is not None and getattr(campaign, field) < 0:
            errors.setdefault(field, []).append(_("Costs cannot be negative."))
    if errors:
        raise ValidationError(errors)
    campaign.full_clean(exclude=["owner", "segments", "excluded_segments"])


def _apply(campaign: Campaign, fields: dict) -> tuple[list[Segment], list[Segment]]:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected campaign fields: {', '.join(sorted(unknown))}")
    segments = list(fields.pop("segments", None) or [])
    excluded = list(fields.pop("excluded_segments", None) or [])
    for name, value in fields.items():
        if isinstance(value, str) and name not in ("body",):
            value = value.strip()
        setattr(campaign, name, value)
    return segments, excluded


@transaction.atomic
def campaign_create(*, owner: User, **fields) -> Campaign:
    """A new draft campaign owned by ``owner``; fields as ``EDITABLE_FIELDS`` (segments as lists)."""
    campaign = Campaign(owner=owner)
    segments, excluded = _apply(campaign, dict(fields))
    _check(campaign, segments=segments, excluded=excluded)
    campaign.save()
    campaign.segments.set(segments)
    campaign.excluded_segments.set(excluded)
    if not campaign.tracking_code:
        campaign.tracking_code = f"cmp{campaign.pk}"
        campaign.save(update_fields=["tracking_code"])
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, by: User, **fields) -> Campaign:
    """Edit a draft (a campaign sent back by the approver is a draft again)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(_("Only a draft can be edited; this campaign is %(status)s.") % _status(campaign))
    current = {
        "segments": list(campaign.segments.all()),
        "excluded_segments": list(campaign.excluded_segments.all()),
    }
    segments, excluded = _apply(campaign, {**current, **fields})
    _check(campaign, segments=segments, excluded=excluded)
    campaign.save()
    campaign.segments.set(segments)
    campaign.excluded_segments.set(excluded)
    return campaign


def _status(campaign: Campaign) -> dict:
    return {"status": campaign.get_status_display().lower()}


def _transition(campaign: Campaign, *, allowed: Iterable[str], action: str) -> Campaign:
    """Lock the campaign's row and check it is in one of ``allowed`` states (call in a transaction)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in allowed:
        raise ValidationError(
            _("A campaign that is %(status)s cannot be %(action)s.") % {**_status(campaign), "action": action}
        )
    return campaign


# --- approval ----------------------------------------------------------------------------------


@transaction.atomic
def campaign_submit(*, campaign: Campaign, by: User, now: datetime | None = None) -> Campaign:
    """Ask a manager to approve the draft."""
    now = now or timezone.now()
    campaign = _transition(campaign, allowed=[Campaign.Status.DRAFT], action=_("submitted"))
    _check(campaign, segments=list(campaign.segments.all()), excluded=list(campaign.excluded_segments.all()))
    if campaign.schedule != Campaign.Schedule.NOW and campaign.scheduled_at <= now:
        raise ValidationError({"scheduled_at": _("The send time has passed; choose a later one.")})
    campaign.status = Campaign.Status.PENDING_APPROVAL
    campaign.submitted_at = now
    campaign.rejection_note = ""
    campaign.save(update_fields=["status", "submitted_at", "rejection_note", "updated_at"])
    return campaign


def can_approve(user: User, campaign: Campaign) -> bool:
    """Managers and admins approve; nobody approves a campaign they own."""
    return has_role(user, Role.MANAGER, Role.ADMIN) and campaign.owner_id != user.pk


def _check_approver(campaign: Campaign, by: User) -> None:
    if not has_role(by, Role.MANAGER, Role.ADMIN):
        raise ValidationError(_("Only a manager or an admin may approve or reject a campaign."))
    if campaign.owner_id == by.pk:
        raise ValidationError(_("You cannot approve or reject your own campaign; ask another manager."))


@transaction.atomic
def campaign_approve(*, campaign: Campaign, by: User, note: str = "", now: datetime | None = None) -> Campaign:
    """Approve a submitted campaign: it is scheduled for its (first) send time, or now."""
    now = now or timezone.now()
    campaign = _transition(campaign, allowed=[Campaign.Status.PENDING_APPROVAL], action=_("approved"))
    _check_approver(campaign, by)
    campaign.status = Campaign.Status.SCHEDULED
    campaign.approved_by = by
    campaign.approved_at = now
    campaign.rejection_note = note.strip()
    start = campaign.scheduled_at if campaign.schedule != Campaign.Schedule.NOW else now
    campaign.next_run_at = max(start, now)
    campaign.save(update_fields=["status", "approved_by", "approved_at", "rejection_note", "next_run_at", "updated_at"])
    return campaign


@transaction.atomic
def campaign_reject(*, campaign: Campaign, by: User, note: str) -> Campaign:
    """Send a submitted campaign back to its owner as a draft, saying why."""
    if not note.strip():
        raise ValidationError({"note": _("Say what should change.")})
    campaign = _transition(campaign, allowed=[Campaign.Status.PENDING_APPROVAL], action=_("rejected"))
    _check_approver(campaign, by)
    campaign.status = Campaign.Status.DRAFT
    campaign.rejection_note = note.strip()
    campaign.save(update_fields=["status", "rejection_note", "updated_at"])
    return campaign


# --- pause, resume, cancel ---------------------------------------------------------------------


def _open_runs(campaign: Campaign):
    return CampaignRun.objects.filter(
        campaign=campaign,
        status__in=[CampaignRun.Status.PREPARING, CampaignRun.Status.SENDING, CampaignRun.Status.PAUSED],
    )


@transaction.atomic
def campaign_pause(*, campaign: Campaign, by: User) -> Campaign:
    """Stop a scheduled or sending campaign; a batch already sending finishes, the next waits."""
    campaign = _transition(campaign, allowed=[Campaign.Status.SCHEDULED, Campaign.Status.SENDING], action=_("paused"))
    _open_runs(campaign).filter(status=CampaignRun.Status.SENDING).update(status=CampaignRun.Status.PAUSED)
    campaign.status = Campaign.Status.PAUSED
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign, by: User, now: datetime | None = None) -> Campaign:
    """Carry on: a paused run sends its remaining recipients; otherwise the schedule resumes."""
    from marketing.services.campaign_sending import run_kick

    now = now or timezone.now()
    campaign = _transition(campaign, allowed=[Campaign.Status.PAUSED], action=_("resumed"))
    paused = list(_open_runs(campaign).filter(status=CampaignRun.Status.PAUSED).values_list("pk", flat=True))
    if paused:
        CampaignRun.objects.filter(pk__in=paused).update(status=CampaignRun.Status.SENDING)
        campaign.status = Campaign.Status.SENDING
        for run_id in paused:
            transaction.on_commit(lambda run_id=run_id: run_kick(run_id))
    elif campaign.next_run_at is None:
        campaign.status = Campaign.Status.SENT
        campaign.finished_at = campaign.finished_at or now
    else:
        campaign.status = Campaign.Status.SCHEDULED
    campaign.save(update_fields=["status", "finished_at", "updated_at"])
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, by: User, now: datetime | None = None) -> Campaign:
    """Call the campaign off: nobody still pending is messaged. Messages already queued go out."""
    now = now or timezone.now()
    campaign = _transition(campaign, allowed=OPEN_STATUSES, action=_("cancelled"))
    _open_runs(campaign).update(status=CampaignRun.Status.CANCELLED, finished_at=now)
    campaign.status = Campaign.Status.CANCELLED
    campaign.next_run_at = None
    campaign.finished_at = now
    campaign.save(update_fields=["status", "next_run_at", "finished_at", "updated_at"])
    return campaign


# --- automation's "enrol in a campaign" ----------------------------------------------------------


def campaign_enrol(*, campaign: Campaign, customer_ids: Iterable[int], now: datetime | None = None) -> int:
    """Add customers to the campaign's open run and send to them (a batch after the commit), once
    each: a customer who already is a recipient of this campaign, in any run, is not added again.
    Only for an approved campaign (scheduled or sending); returns how many were added."""
    from marketing.services.campaign_sending import in_holdout, run_kick

    now = now or timezone.now()
    wanted = sorted({int(pk) for pk in customer_ids})
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status not in (Campaign.Status.SCHEDULED, Campaign.Status.SENDING):
            raise ValidationError(
                _("Customers can only be enrolled in an approved campaign; this one is %(status)s.") % _status(campaign)
            )
        if not wanted:
            return 0
        run = (
            CampaignRun.objects.filter(campaign=campaign, status=CampaignRun.Status.SENDING)
            .order_by("-sequence")
            .first()
        )
        if run is None:
            sequence = (campaign.runs.aggregate(last=Max("sequence"))["last"] or 0) + 1
            run = CampaignRun.objects.create(
                campaign=campaign, sequence=sequence, status=CampaignRun.Status.SENDING, started_at=now
            )
        already = set(
            CampaignRecipient.objects.filter(campaign=campaign, customer_id__in=wanted).values_list(
                "customer_id", flat=True
            )
        )
        existing = set(Customer.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        new = [pk for pk in wanted if pk in existing and pk not in already]
        rows = []
        holdouts = 0
        ends = now + timedelta(days=campaign.attribution_days)
        for customer_id in new:
            holdout = in_holdout(run_id=run.pk, customer_id=customer_id, percent=campaign.holdout_percent)
            holdouts += holdout
            rows.append(
                CampaignRecipient(
                    run=run,
                    campaign=campaign,
                    customer_id=customer_id,
                    status=CampaignRecipient.Status.HOLDOUT if holdout else CampaignRecipient.Status.PENDING,
                    processed_at=now if holdout else None,
                    attribution_ends_at=ends if holdout else None,
                )
            )
        CampaignRecipient.objects.bulk_create(rows, ignore_conflicts=True)
        CampaignRun.objects.filter(pk=run.pk).update(
            audience_size=F("audience_size") + len(rows), holdout_size=F("holdout_size") + holdouts
        )
        if rows:
            transaction.on_commit(lambda: run_kick(run.pk))
    return len(rows)


# --- opt-out -----------------------------------------------------------------------------------


def _signature(value: str) -> str:
    return signing.Signer(salt=OPT_OUT_SALT).signature(value)[:OPT_OUT_SIGNATURE_LENGTH]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
        if not number:
            return text


def opt_out_token(recipient_id: int) -> str:
    """A short signed token naming a recipient, for the link in the message."""
    value = _base36(recipient_id)
    return f"{value}-{_signature(value)}"


def opt_out_recipient_id(token: str) -> int | None:
    """The recipient a token names, or None when it is malformed or its signature is wrong."""
    value, _sep, signature = (token or "").partition("-")
    if not value or not signature or len(value) > 13 or not value.isalnum():
        return None
    if not constant_time_compare(signature, _signature(value)):
        return None
    try:
        return int(value, 36)
    except ValueError:
        return None


@transaction.atomic
def recipient_opt_out(*, recipient: CampaignRecipient, now: datetime | None = None) -> CampaignRecipient:
    """The customer followed the opt-out link: their address goes on the suppression list (no
    further marketing to it, including messages still waiting in the outbox) and the recipient
    is marked opted out. Idempotent."""
    now = now or timezone.now()
    campaign = recipient.campaign
    channel = Channel.EMAIL if campaign.channel == Campaign.Channel.EMAIL else Channel.SMS
    address = recipient.address or (recipient.customer.email if channel == Channel.EMAIL else recipient.customer.phone)
    if address:
        # An address that no longer parses cannot be messaged anyway.
        with contextlib.suppress(ValidationError):
            suppression_add(
                channel=channel,
                address=address,
                reason=_("Opt-out link of campaign %(name)s") % {"name": campaign.name},
            )
    CampaignRecipient.objects.filter(pk=recipient.pk, opted_out_at__isnull=True).update(opted_out_at=now)
    recipient.refresh_from_db(fields=["opted_out_at"])
    return recipient


# Opt-out keywords of an inbound SMS, compared after normalisation (digits, case, spaces).
OPT_OUT_KEYWORDS = frozenset({"لغو", "انصراف", "11", "STOP", "UNSUBSCRIBE"})
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def is_opt_out_keyword(message: str) -> bool:
    """True when an inbound SMS says "stop" (Persian or Arabic-Indic digits read as ASCII)."""
    text = (message or "").translate(_DIGITS).strip().strip(".!؟?").strip().upper()
    text = text.replace("ي", "ی").replace("ك", "ک")
    return text in OPT_OUT_KEYWORDS


@transaction.atomic
def sms_inbound_handle(*, sender: str, message: str, now: datetime | None = None) -> bool:
    """An SMS from ``sender``: an opt-out keyword suppresses the number and marks the campaign
    recipients messaged at it as opted out. Returns True when it was an opt-out."""
    if not is_opt_out_keyword(message):
        return False
    now = now or timezone.now()
    suppression = suppression_add(channel=Channel.SMS, address=sender, reason=_("Opt-out keyword by SMS"))
    CampaignRecipient.objects.filter(
        address=suppression.address, opted_out_at__isnull=True, campaign__channel=Campaign.Channel.SMS
    ).exclude(outbox_message=None).update(opted_out_at=now)
    return True
