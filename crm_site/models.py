"""Plumbing every app uses: users and teams, the messaging outbox, notifications, heartbeats."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Team(models.Model):
    """A group of staff led by a manager; record scoping "team" means the members of a team."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff (or an outside contractor). Roles are Django groups; see access.py."""

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True, help_text=_("In E.164 form."))
    # Reminders always arrive in the app; these add a copy by email or SMS.
    remind_by_email = models.BooleanField(_("send my reminders by email too"), default=False)
    remind_by_sms = models.BooleanField(_("send my reminders by SMS too"), default=False)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Heartbeat(models.Model):
    """The last time each kind of background process proved it is alive (one row per source)."""

    source = models.CharField(max_length=50, primary_key=True)
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.source} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class Purpose(models.TextChoices):
    # Transactional messages (acknowledgements, reminders) go out regardless of the suppression
    # list; marketing messages never reach a suppressed address.
    TRANSACTIONAL = "transactional", _("Transactional")
    MARKETING = "marketing", _("Marketing")


class OutboxMessage(models.Model):
    """One message to one recipient. A row exists before anything is sent, so nothing is lost
    when the broker or the provider is down, and its unique idempotency key guarantees that
    asking twice for the same message never produces a second one."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Suppressed")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.TRANSACTIONAL)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    provider_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The record the message concerns (an order, a ticket, a campaign delivery...).
    content_type = models.ForeignKey(ContentType, on_delete=models.SET_NULL, null=True, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    concerning = GenericForeignKey("content_type", "object_id")

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # The dispatcher's claim query: queued rows whose next attempt is due, in claim order (an
            # index on the time alone leaves a sort of every due row to each claim).
            models.Index(fields=["next_attempt_at", "id"], condition=Q(status="queued"), name="outbox_due_idx"),
            # Each dispatch first returns claims abandoned by a dead worker: the few rows being sent.
            # Without this the check reads the whole outbox, every batch.
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="outbox_sending_idx"),
            # Timelines and campaign reports: the messages about one record.
            models.Index(fields=["content_type", "object_id"], name="outbox_concerning_idx"),
            models.Index(fields=["recipient", "-created_at"], name="outbox_recipient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient} ({self.get_status_display()})"


class Suppression(models.Model):
    """An address (E.164 phone or lower-cased email) that asked not to receive marketing."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="suppression_unique_address")]

    def __str__(self) -> str:
        return self.address


class Notification(models.Model):
    """An in-app message to a member of staff: assignments, reminders, escalations."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Makes repeated notifications about the same event collapse into one (e.g. "SLA breach on
    # ticket 42" sent by a job that ran twice).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The list page and the bell: a user's notifications, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            # The unread count shown on every page.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class DataJob(models.Model):
    """A tracked import or export: its input and output files, progress and outcome.

    Apps define what a ``kind`` does (e.g. "customers.import"); the job row lets a page show
    progress while a Celery task works, and keeps the download link of an export.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")  # e.g. an import waiting for its column mapping
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        READY = "ready", _("Ready for review")  # an import validated and waiting for confirmation
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=50)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    input_file = models.FileField(_("input file"), upload_to="jobs/in/%Y/%m/", blank=True)
    input_name = models.CharField(_("file name"), max_length=255, blank=True)
    output_file = models.FileField(_("output file"), upload_to="jobs/out/%Y/%m/", blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import or export")
        verbose_name_plural = _("imports and exports")
        # A user's recent jobs of a kind (the import and export pages).
        indexes = [models.Index(fields=["user", "kind", "-created_at"], name="datajob_user_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.progress_done / self.progress_total))
