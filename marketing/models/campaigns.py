"""Campaigns: a message (or a call list) to the customers of some segments, from plan through
approval and sending to the orders it brought."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.models import MONEY, Customer
from marketing.models.segments import Segment


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending", _("Waiting for approval")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")
        CALL_LIST = "call_list", _("Call list (tasks for reps)")

    class Objective(models.TextChoices):
        AWARENESS = "awareness", _("Awareness")
        ACQUISITION = "acquisition", _("Win new customers")
        SALES = "sales", _("Sell more")
        CROSS_SELL = "cross_sell", _("Cross-sell and up-sell")
        RETENTION = "retention", _("Keep customers")
        WIN_BACK = "win_back", _("Win back lapsed customers")
        LOYALTY = "loyalty", _("Loyalty")

    class Schedule(models.TextChoices):
        NOW = "now", _("As soon as approved")
        AT = "at", _("At a set time")
        RECURRING = "recurring", _("Recurring")

    name = models.CharField(_("name"), max_length=150)
    objective = models.CharField(_("objective"), max_length=15, choices=Objective.choices, default=Objective.SALES)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS)
    segments = models.ManyToManyField(Segment, verbose_name=_("target segments"), related_name="campaigns")
    excluded_segments = models.ManyToManyField(
        Segment, verbose_name=_("excluded segments"), blank=True, related_name="excluded_from_campaigns"
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True, help_text=_("For email."))
    body = models.TextField(
        _("message"), blank=True, help_text=_("Placeholders: {first_name}, {name}, {code}, {points}, {opt_out}.")
    )
    schedule = models.CharField(_("when"), max_length=10, choices=Schedule.choices, default=Schedule.NOW)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    repeat_every_days = models.PositiveSmallIntegerField(_("repeat every (days)"), null=True, blank=True)
    repeat_until = models.DateTimeField(_("repeat until"), null=True, blank=True)
    next_run_at = models.DateTimeField(_("next run at"), null=True, blank=True)
    budget = models.DecimalField(_("budget"), **MONEY, default=0)
    cost_per_message = models.DecimalField(_("cost per message"), **MONEY, default=0)
    fixed_cost = models.DecimalField(_("other costs"), **MONEY, default=0, help_text=_("Design, agency, prizes."))
    holdout_percent = models.PositiveSmallIntegerField(
        _("control group (%)"),
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_("This share of the audience is not messaged, so the uplift can be measured against it."),
    )
    attribution_days = models.PositiveSmallIntegerField(
        _("attribution window (days)"), default=30, validators=[MaxValueValidator(365)]
    )
    # Leads whose ``campaign`` (utm_campaign on the web form) carries this code count as responses.
    tracking_code = models.CharField(
        _("tracking code"),
        max_length=100,
        blank=True,
        help_text=_("The utm_campaign value of links in the message; leads that carry it count as responses."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="campaigns"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    rejection_note = models.TextField(_("note from the approver"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [
            # The beat job's query: approved campaigns whose (next) run is due.
            models.Index(fields=["next_run_at"], condition=Q(status="scheduled"), name="campaign_due_idx"),
            models.Index(fields=["status", "-created_at"], name="campaign_status_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("marketing:campaign_detail", args=[self.pk])


class CampaignRun(models.Model):
    """One sending of a campaign (a recurring campaign has one per occurrence). Its recipients
    are fixed when the run starts: the audience snapshot."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing the audience")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs")
    sequence = models.PositiveIntegerField(_("run"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PREPARING)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    audience_size = models.PositiveIntegerField(_("audience"), default=0)
    holdout_size = models.PositiveIntegerField(_("control group"), default=0)
    # When a sending batch last ran: the beat job restarts a run whose chain of batches stopped
    # (a crashed worker, quiet hours) once this is old enough.
    last_batch_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["campaign", "sequence"]
        verbose_name = _("campaign run")
        verbose_name_plural = _("campaign runs")
        constraints = [models.UniqueConstraint(fields=["campaign", "sequence"], name="campaign_run_unique_sequence")]

    def __str__(self) -> str:
        return f"{self.campaign_id}#{self.sequence}"


class CampaignRecipient(models.Model):
    """One customer of a run's audience: messaged, or kept back in the control group, or skipped
    (no consent, no address, suppressed). The unique (run, customer) pair and the outbox's
    idempotency key together make a retried or doubled job send nobody a second message."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        QUEUED = "queued", _("Queued")
        TASK_CREATED = "task", _("Call task created")
        HOLDOUT = "holdout", _("Control group")
        NO_CONSENT = "no_consent", _("No consent")
        NO_ADDRESS = "no_address", _("No address")
        SUPPRESSED = "suppressed", _("Opted out")

    run = models.ForeignKey(CampaignRun, on_delete=models.CASCADE, related_name="recipients")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="campaign_receipts")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    address = models.CharField(_("address"), max_length=254, blank=True)
    outbox_message = models.ForeignKey(
        "crm_site.OutboxMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A call list's task for the customer's owner; one-to-one, so a recipient never gets two.
    activity = models.OneToOneField(
        "sales.Activity", on_delete=models.SET_NULL, null=True, blank=True, related_name="campaign_recipient"
    )
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    # The end of the attribution window: orders from ``processed_at`` until this moment count.
    attribution_ends_at = models.DateTimeField(_("attribution until"), null=True, blank=True)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")
        constraints = [models.UniqueConstraint(fields=["run", "customer"], name="campaign_recipient_unique")]
        indexes = [
            # The sender's batch query: a run's recipients still pending.
            models.Index(fields=["run", "id"], condition=Q(status="pending"), name="campaign_recipient_pending_idx"),
            # Attribution: a customer's receipts, and a campaign's recipients by status.
            models.Index(fields=["customer", "campaign"], name="camp_recipient_customer_idx"),
            models.Index(fields=["campaign", "status"], name="campaign_recipient_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.customer_id}"
